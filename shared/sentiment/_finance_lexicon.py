"""Word lists for the offline scorer: financial quantities, direction words, hedges, events.

Data only; the rules that use it are in ``_finance_rules``. Every list was written by hand
from general financial-news usage, not fitted to any benchmark.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "AMBIGUOUS_DIRECTIONS",
    "BAD_PRICE_MODIFIERS",
    "BOUNDARIES",
    "CONTRAST_WORDS",
    "CURRENCIES",
    "DOWN_WORDS",
    "EVALUATIVE",
    "EVENT_PATTERNS",
    "GOOD_RATE_MODIFIERS",
    "HEDGES",
    "INTENSIFIERS",
    "FORWARD_STOPS",
    "JOB_WORDS",
    "MULTIPLIERS",
    "NEGATORS",
    "NOUN_MARKERS",
    "PARTICLE_VERBS",
    "PROTECTIVE",
    "QUANTITIES",
    "STRENGTH",
    "UNPAIRED_DEFAULT",
    "UP_WORDS",
    "VADER_OVERRIDES",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Financial quantities and whether more of them is good (+1) or bad (-1) for an investor.
_GOOD = _words(
    """profit profits profitability earnings eps ebit ebitda ebita income revenue revenues
    sales turnover result results margin margins order orders backlog bookings intake inflow
    dividend dividends guidance outlook forecast forecasts target targets estimates cash
    share shares stock stocks equities price prices valuation capitalisation capitalization
    volume volumes deliveries shipments production output demand traffic passengers
    subscribers customers users exports passenger customer subscriber user growth productivity
    efficiency occupancy utilisation utilization synergies savings liquidity solvency rating
    ratings arpu tvl inflows deposits
    adoption index indices nasdaq dow ftse dax s&p futures gold oil bitcoin btc ether eth
    ethereum crypto cryptocurrencies cryptocurrency token tokens coin coins altcoins solana sol
    xrp dogecoin doge cardano ada polygon matic avalanche avax chainlink market markets
    hashrate staking funding capacity presence footprint operations business"""
)
_BAD = _words(
    """loss losses deficit cost costs expense expenses expenditure debt debts gearing leverage
    liabilities borrowings impairment impairments write-down write-downs writedowns charges
    provisions unemployment inflation churn outflows liquidations defaults delinquencies
    arrears inventories inventory headwinds volatility taxes yields rate rates shortfall
    claims complaints redemptions withdrawals"""
)
QUANTITIES: Final[dict[str, int]] = {**dict.fromkeys(_GOOD, 1), **dict.fromkeys(_BAD, -1)}

# Staff counts: fewer jobs is bad news, more jobs is not in itself good news.
JOB_WORDS: Final = _words("jobs job workforce staff personnel headcount employees positions")

# "raw material prices" and "interest rates" are costs; "freight rates" are income.
BAD_PRICE_MODIFIERS: Final = _words(
    "raw material materials fuel input purchase component components feed commodity"
)
GOOD_RATE_MODIFIERS: Final = _words(
    "freight charter room occupancy utilisation utilization growth success conversion hit"
)

UP_WORDS: Final = _words(
    """rise rises rose risen rising increase increases increased increasing grow grows grew
    grown growing up higher climb climbs climbed climbing jump jumps jumped jumping
    surge surges surged surging soar soars soared soaring gain gains gained gaining expand
    expands expanded expanding expansion widen widens widened widening boost boosts boosted
    boosting lift lifts lifted lifting raise raises raised raising hike hikes hiked advance
    advances advanced double doubles doubled doubling triple tripled tripling rebound
    rebounds rebounded rebounding accelerate accelerates accelerated accelerating spike
    spikes spiked rally rallies rallied rallying skyrocket skyrockets skyrocketed record
    reclaims reclaimed tops topped"""
)
DOWN_WORDS: Final = _words(
    """fall falls fell fallen falling decline declines declined declining decrease decreases
    decreased decreasing drop drops dropped dropping down lower lowered lowering slip
    slips slipped slipping slide slides slid sliding shrink shrinks shrank shrunk shrinking
    contracted contracting narrow narrows narrowed narrowing reduce reduces reduced reducing
    reduction cut cuts cutting plunge plunges plunged plunging tumble tumbles tumbled
    tumbling sink sinks sank sunk sinking slump slumps slumped slumping plummet plummets
    plummeted dip dips dipped eased easing halve halved halving erode erodes eroded eroding
    shed sheds shedding lose loses lost losing slowed slowing slowdown collapse collapses
    collapsed crash crashes crashed dive dives dived tank tanks tanked retreat retreats
    retreated slashed slashes slash"""
)
# Direction strength when no quantity is found nearby: market-move verbs still carry news
# ("Bitcoin surges"), plain ones ("the temperature rose") do not.
STRENGTH: Final[dict[str, float]] = {
    **dict.fromkeys(
        _words(
            """surge surges surged surging soar soars soared soaring plunge plunges plunged
            plunging tumble tumbles tumbled tumbling slump slumps slumped slumping plummet
            plummets plummeted crash crashes crashed collapse collapses collapsed skyrocket
            skyrockets skyrocketed rally rallies rallied rallying tank tanks tanked spike spikes
            spiked jump jumps jumped jumping"""
        ),
        0.8,
    ),
    **dict.fromkeys(
        _words(
            """climb climbs climbed climbing gain gains gained slip slips slipped slide slides
            slid sliding dip dips dipped rebound rebounds rebounded sink sinks sank sinking dive
            dives retreat retreats retreated reclaims reclaimed"""
        ),
        0.5,
    ),
}
UNPAIRED_DEFAULT: Final = 0.2
# "narrowed" and "widened" mean nothing until we know what narrowed.
AMBIGUOUS_DIRECTIONS: Final = _words(
    "narrow narrows narrowed narrowing widen widens widened widening record"
)

# Before a direction word these mark its noun form, whose quantity follows "in" or "of".
NOUN_MARKERS: Final = _words(
    """a an the its their this sharp strong further significant slight clear steep modest
    considerable substantial marked continued"""
)
# A quantity after these is not the object of the direction word before them.
FORWARD_STOPS: Final = _words(
    """to by from at on for thanks due as after than compared with against since amid over
    , and or % $ € £ per year-on-year"""
)

# Words whose sign does not depend on the quantity: "loss improved" is still good news.
EVALUATIVE: Final[dict[str, float]] = {
    **dict.fromkeys(
        _words(
            """improve improves improved improving improvement strengthen strengthens
            strengthened strengthening better best stronger strong robust solid excellent
            healthy favourable favourably favorable favorably beat beats exceed exceeds
            exceeded exceeding surpass surpassed outperform outperforms outperformed recover
            recovers recovered recovering recovery impress impressed bullish upbeat"""
        ),
        1.0,
    ),
    **dict.fromkeys(
        _words(
            """deteriorate deteriorates deteriorated deteriorating deterioration weaken weakens
            weakened weakening weaker weak worse worst worsen worsens worsened worsening miss
            misses missed underperform underperformed poor disappointing disappointed
            bearish sluggish"""
        ),
        -1.0,
    ),
}

# "up" and "down" after these verbs are particles, not directions ("set up", "shut down").
PARTICLE_VERBS: Final = _words(
    """set sets setting shut shuts shutting step steps stepped stepping sign signs signed
    follow followed break broke broken make made makes take took taken write wrote written
    end ended back backed come came open opened line lined draw drew drawn
    pay paid paying tie tied build built"""
)

PROTECTIVE: Final = _words(
    """against prevent prevents preventing prevention protect protects protection combat
    combating detect detects detection anti anti-fraud anti-money insurance insures"""
)
NEGATORS: Final = _words(
    "not no never n't without neither nor cannot fail fails failed failing hardly barely"
)
HEDGES: Final[dict[str, float]] = {
    **dict.fromkeys(
        _words(
            """may might could possibly possible potentially potential perhaps uncertain
            unclear rumour rumours rumor rumors reportedly speculation"""
        ),
        0.55,
    ),
    **dict.fromkeys(
        _words(
            """expect expects expected expecting anticipate anticipates anticipated forecast
            forecasts estimate estimates estimated likely plans plan planned aims aim targets
            should would seeks hopes"""
        ),
        0.8,
    ),
}
INTENSIFIERS: Final[dict[str, float]] = {
    **dict.fromkeys(
        _words(
            """sharply significantly strongly clearly markedly substantially considerably
            dramatically steeply significant strong sharp substantial considerable"""
        ),
        1.25,
    ),
    **dict.fromkeys(_words("slightly marginally somewhat modestly slight marginal modest"), 0.6),
}

# Clause structure.
BOUNDARIES: Final = _words("; : . ! ? but however whereas although though while")
CONTRAST_WORDS: Final = _words("but however whereas while although though")
CURRENCIES: Final = _words("eur usd sek nok dkk gbp rub jpy cny chf pln euro euros dollars $ € £")
MULTIPLIERS: Final[dict[str, float]] = {
    "thousand": 1e3,
    "k": 1e3,
    "mn": 1e6,
    "m": 1e6,
    "million": 1e6,
    "mln": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "trillion": 1e12,
}

# Adjustments to VADER's general-purpose lexicon: words that are neutral in financial news
# ("interest", "credit", "share") or that the rules above already score ("increase", "loss").
VADER_OVERRIDES: Final[dict[str, float]] = {
    **dict.fromkeys(
        _words(
            """interest interests credit share shares security securities agreement agreements
            support supports supported help helps care free value fund funds profit profits
            profitable loss losses debt cut cuts increase increased decrease gain gains win won
            wins winning top charges charge demand risk risks warning growth benefit benefits
            lead leading leader led capital united trust trusts approval approve approved
            reserve reserves reform liability prepared innovative solutions
            opportunity opportunities hedge hedged protect protects clear clearly great matter
            strong weak stronger weaker best improve improved improvement pick picks miss
            missed recovery recover recovered ease eased easing fine fines"""
        ),
        0.0,
    ),
    "bankruptcy": -2.5,
    "bankrupt": -2.5,
    "insolvency": -2.5,
    "layoffs": -2.0,
    "recession": -1.8,
    "fraud": -2.5,
    "lawsuit": -1.8,
    "hack": -2.0,
    "hacked": -2.0,
    "exploit": -1.5,
    "outage": -1.5,
    "plunge": -1.5,
    "downturn": -1.5,
    "turmoil": -2.0,
    "bullish": 2.0,
    "bearish": -2.0,
    "record": 0.0,
}


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Company and market events that carry a sign on their own: (pattern, weight).
EVENT_PATTERNS: Final[tuple[tuple[re.Pattern[str], float], ...]] = (
    # Orders, contracts and approvals.
    (_rx(r"\b(?:wins?|won|winning|awarded|secures?|secured|lands?|landed|bags?|bagged)\b"
         r"(?:\W+\w+){0,6}?\W+(?:orders?|contracts?|tenders?|deals?|bids?|mandates?)\b"), 1.0),
    (_rx(r"\b(?:receives?|received|receiving|gets|got)\b(?:\W+\w+){0,5}?\W+orders?\b"), 1.0),
    (_rx(r"\b(?:largest|biggest|record)(?: ever)?(?: single)? (?:orders?|contracts?|deals?)\b"),
     1.0),
    (_rx(r"\bsign(?:s|ed|ing)?\b(?:\W+\w+){0,5}?\W+(?:orders?|contracts?)\b"), 0.5),
    (_rx(r"\bselected as\b(?:\W+\w+){0,4}?\W+(?:supplier|partner|provider|vendor)\b"), 1.0),
    (_rx(r"\b(?:approves?|approved|grants?|granted|wins?|won|receives?|received|secures?|"
         r"secured|obtains?|obtained)\b(?:\W+\w+){0,5}?\W+(?:approval|licen[cs]es?|"
         r"authori[sz]ation|clearance|permit)\b"), 1.0),
    (_rx(r"\bapprov(?:es|ed)\b(?:\W+\w+){0,4}?\W+(?:etfs?|drugs?|listing)\b"), 1.0),
    (_rx(r"\betfs?\b(?:\W+\w+){0,1}?\W+approval\b"), 0.8),
    (_rx(r"\bmet (?:its|the) (?:primary )?(?:end ?point|target|goal)s?\b"), 1.0),
    # Earnings and guidance.
    (_rx(r"\b(?:returns?|returned|returning|back) to (?:profit|profitability|growth|"
         r"the black|black)\b"), 1.0),
    (_rx(r"\b(?:swung|swings|swing|turned|turns|turn) (?:in)?to (?:a )?(?:net |pre-tax |"
         r"operating |quarterly )?profit\b"), 1.0),
    (_rx(r"\b(?:swung|swings|swing|turned|turns|turn) (?:in)?to (?:a )?(?:net |pre-tax |"
         r"operating |quarterly )?loss\b"), -1.0),
    (_rx(r"\b(?:posts?|posted|reports?|reported|records?|recorded|expects?|expected|books?|"
         r"booked|incurs?|incurred|suffers?|suffered|makes|made) (?:a |an )?(?:\w+ )?(?:\w+ )?"
         r"loss(?:es)?\b"), -0.8),
    (_rx(r"\b(?:turned|turns|turn) (?:negative|red)\b|\binto the red\b"), -1.0),
    (_rx(r"\b(?:ahead of|above|better than|beat|beats|topped|exceeded|exceeds) (?:\w+ )?"
         r"(?:schedule|plan|expectations|expected|forecasts?|estimates|consensus|target)"), 0.8),
    (_rx(r"\b(?:below|worse than|short of|missed|misses|miss) (?:\w+ )?(?:\w+'? )?"
         r"(?:expectations|expected|forecasts?|estimates|consensus|targets?)"), -1.0),
    (_rx(r"\bprofit warning\b|\bwarns?\b|\bwarned\b"), -1.0),
    (_rx(r"\b(?:all-time|record|(?:\w+-)?(?:year|month|week)|new) highs?\b|"
         r"\bhighest (?:level|ever)\b|\bbest (?:\w+ )?(?:result|quarter|year)"), 1.0),
    (_rx(r"\b(?:all-time|record|(?:\w+-)?(?:year|month|week)|new) lows?\b|"
         r"\blowest level\b"), -1.0),
    (_rx(r"\b(?:buy ?back|buy back|repurchase programme|repurchase program)\b"), 0.8),
    (_rx(r"\b(?:additional|extra|special) dividend\b|\bcapital gain\b|\bat a gain\b"), 0.8),
    (_rx(r"\bno dividend\b|\bnot (?:to )?pay (?:a |any )?dividend\b|"
         r"\bdividend (?:is |was )?(?:half|cancell?ed|scrapped|suspended)\b"), -1.0),
    (_rx(r"\bupgraded\b|\bupgrades\b(?:\W+\w+){0,3}?\W+to\b"), 0.9),
    (_rx(r"\bdowngraded?\b|\bdowngrades\b"), -1.0),
    (_rx(r"\bannual savings\b|\bsavings of\b"), 0.6),
    (_rx(r"\bin (?:favou?r) of\b"), 0.7),
    # Jobs and capacity.
    (_rx(r"\blay(?:s|ing)? off\b|\blaid off\b|\blay-?offs?\b|\bredundanc(?:y|ies)\b|"
         r"\bdismissals?\b|\bjob cuts?\b|\bjob losses\b"), -1.0),
    (_rx(r"\b(?:co-?determination|change|employee|personnel|statutory) negotiations\b"), -0.8),
    (_rx(r"\b(?:close|closes|closed|closing|closure of|shut|shuts|shutting)\b(?:\W+\w+){0,5}?"
         r"\W+(?:plant|factory|factories|mill|mills|machine|production line|mine|smelter|"
         r"refinery)\b"), -1.0),
    (_rx(r"\b(?:halts?|halted|suspends?|suspended|freezes|froze|frozen|stops?|stopped)\b"
         r"(?:\W+\w+){0,3}?\W+(?:production|withdrawals|operations|trading|deliveries|output)\b"),
     -1.0),
    (_rx(r"\b(?:cancell?ed|cancels|cancell?ing|lost|loses|losing|terminated)\b(?:\W+\w+){0,4}?"
         r"\W+(?:orders?|contracts?|deals?|customers?|cases?|licen[cs]es?)\b"), -1.0),
    (_rx(r"\brecalls?\b|\brecalled\b"), -0.8),
    # Legal, regulatory and security events.
    (_rx(r"\bbankrupt(?:cy)?\b|\binsolven(?:cy|t)\b|\breceivership\b|\bchapter 11\b|"
         r"\bgoing concern\b|\binto liquidation\b|\bdefaults? on\b"), -1.2),
    (_rx(r"\b(?:sues?|sued|suing|lawsuit|charged|charges\b(?:\W+\w+){0,4}?\W+with|indicted|"
         r"arrested|fined|fines?\b(?:\W+\w+){0,3}?\W+(?:eur|usd|\$|€)|penalty|price fixing|"
         r"fraud|money laundering|probe|investigat(?:ed|ion|es|ing)|subpoena|violations?|"
         r"breach(?:ed|ing)?|crackdown)"), -1.0),
    (_rx(r"\bfined\b"), -0.3),
    (_rx(r"\bhack(?:s|ed|ers?)?\b|\bexploit(?:ed)?\b|\bdrained\b|\bstolen\b|\bsteal\b|"
         r"\bstole\b|\bheist\b"), -1.0),
    (_rx(r"\bbans?\b|\bbanned\b|\bprohibits?\b|\bprohibited\b"), -1.0),
    (_rx(r"\boutages?\b|\bdelist(?:s|ed|ing)?\b|\bde-?peg(?:s|ged)?\b|"
         r"\b(?:lose|loses|lost) (?:\w+ )?(?:\w+ )?peg\b|\bcapitulat\w*|\bsell-?off\b|"
         r"\bexits?\b(?:\W+\w+){0,1}?\W+(?:market|country|canada|uk|us)\b"), -1.0),
    (_rx(r"\b(?:failed|fails|failure) to\b|\brejected\b|\brejects\b"), -0.8),
    (_rx(r"\b(?:hit|hurt|burdened|weighed|weigh|weighs|pressured|squeezed|dented) "
         r"(?:by|on|hard|down)\b|\bhit (?:\w+ )?(?:sales|profit|demand|earnings)"), -0.8),
    # Market and crypto vocabulary.
    (_rx(r"\bbullish\b|\bbreaks? out\b|\bbreakout\b|\bshort squeeze\b|"
         r"\boutperforms?\b"), 0.9),
    (_rx(r"\binflows?\b"), 0.6),
    (_rx(r"\boutflows?\b"), -0.6),
    (_rx(r"\bbearish\b|\bbreaks? (?:key )?support\b"), -0.9),
    (_rx(r"\b(?:accept|accepts|accepting)\b(?:\W+\w+){0,3}?\W+(?:bitcoin|crypto|token|"
         r"payments?)\b|\badoption\b|\bpartnership with\b"), 0.6),
    (_rx(r"\bfears?\b|\bworries\b|\bconcerns? (?:over|about)\b|\brecession\b|\bturmoil\b"),
     -0.6),
    (_rx(r"\b(?:extreme|difficult|challenging|tough|weak) (?:market|economic|trading) "
         r"conditions\b|\bfinancial crisis\b"), -0.7),
)
