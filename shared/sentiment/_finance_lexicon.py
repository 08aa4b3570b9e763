"""Word lists for the offline scorer: financial quantities, direction words, hedges.

Data only; the rules that use it are in ``_finance_rules``. Every list was written by hand
from general financial-news usage, not fitted to any benchmark.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AMBIGUOUS_DIRECTIONS",
    "BAD_PRICE_MODIFIERS",
    "BOUNDARIES",
    "CONTRAST_WORDS",
    "CURRENCIES",
    "DOWN_WORDS",
    "EVALUATIVE",
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
    expands expanded expanding expansion widens widened widening boost boosts boosted
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
    contracted contracting narrows narrowed narrowing reduce reduces reduced reducing
    reduction cut cuts cutting plunge plunges plunged plunging tumble tumbles tumbled
    tumbling sink sinks sank sunk sinking slump slumps slumped slumping plummet plummets
    plummeted dip dips dipped eased easing halve halved erode erodes eroded eroding
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
AMBIGUOUS_DIRECTIONS: Final = _words("narrows narrowed narrowing widens widened widening record")

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
