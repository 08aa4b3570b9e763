"""Company and market events that carry a sign on their own: orders won, layoffs, hacks.

Data only: ``EVENT_PATTERNS`` pairs a regex over lowercased, normalised text with a signed
weight. Written by hand from general financial-news usage, not fitted to any benchmark.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["EVENT_PATTERNS"]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Company and market events that carry a sign on their own: (pattern, weight).
EVENT_PATTERNS: Final[tuple[tuple[re.Pattern[str], float], ...]] = (
    # Orders, contracts and approvals.
    (
        _rx(
            r"\b(?:wins?|won|winning|awarded|secures?|secured|lands?|landed|bags?|bagged)\b"
            r"(?:\W+\w+){0,6}?\W+(?:orders?|contracts?|tenders?|deals?|bids?|mandates?)\b"
        ),
        1.0,
    ),
    (
        _rx(
            r"\b(?:receives?|received|receiving|gets|got|books?|booked)\b(?:\W+\w+){0,5}?\W+orders?\b"
        ),
        1.0,
    ),
    (
        _rx(r"\b(?:largest|biggest|record)(?: ever)?(?: single)? (?:orders?|contracts?|deals?)\b"),
        1.0,
    ),
    (_rx(r"\bsign(?:s|ed|ing)?\b(?:\W+\w+){0,5}?\W+(?:orders?|contracts?)\b"), 0.5),
    (_rx(r"\bselected as\b(?:\W+\w+){0,4}?\W+(?:supplier|partner|provider|vendor)\b"), 1.0),
    (_rx(r"\b(?:chosen|selected|picked) to (?:supply|deliver|build|provide|develop)\b"), 0.8),
    (
        _rx(r"\b(?:largest|biggest|highest|best|strongest)\b(?:\W+\w+){0,4}?\W+(?:ever|history)\b"),
        1.0,
    ),
    (
        _rx(
            r"\b(?:approves?|approved|grants?|granted|wins?|won|receives?|received|secures?|"
            r"secured|obtains?|obtained)\b(?:\W+\w+){0,5}?\W+(?:approval|licen[cs]es?|"
            r"authori[sz]ation|clearance|permit)\b"
        ),
        1.0,
    ),
    (_rx(r"\bapprov(?:es|ed)\b(?:\W+\w+){0,4}?\W+(?:etfs?|drugs?|listing)\b"), 1.0),
    (_rx(r"\betfs?\b(?:\W+\w+){0,1}?\W+approval\b"), 0.8),
    (_rx(r"\bmet (?:its|the) (?:primary )?(?:end ?point|target|goal)s?\b"), 1.0),
    # Earnings and guidance.
    (
        _rx(
            r"\b(?:returns?|returned|returning|back) to (?:profit|profitability|growth|"
            r"the black|black)\b"
        ),
        1.0,
    ),
    (
        _rx(
            r"\b(?:swung|swings|swing|turned|turns|turn) (?:in)?to (?:a )?(?:net |pre-tax |"
            r"operating |quarterly )?profit\b|\bturned a profit\b"
        ),
        1.0,
    ),
    (
        _rx(
            r"\b(?:swung|swings|swing|turned|turns|turn) (?:in)?to (?:a )?(?:net |pre-tax |"
            r"operating |quarterly )?loss\b"
        ),
        -1.0,
    ),
    (
        _rx(
            r"\b(?:posts?|posted|reports?|reported|records?|recorded|expects?|expected|books?|"
            r"booked|incurs?|incurred|suffers?|suffered|makes|made) (?:a |an )?(?:\w+ )?(?:\w+ )?"
            r"loss(?:es)?\b"
        ),
        -0.8,
    ),
    (_rx(r"\b(?:turned|turns|turn) (?:negative|red)\b|\binto the red\b"), -1.0),
    (
        _rx(
            r"\b(?:ahead of|above|better than|beat|beats|topped|exceeded|exceeds) (?:\w+ )?"
            r"(?:schedule|plan|expectations|expected|forecasts?|estimates|consensus|target)"
        ),
        0.8,
    ),
    (
        _rx(
            r"\b(?:below|worse than|short of|missed|misses|miss) (?:\w+ )?(?:\w+'? )?"
            r"(?:expectations|expected|forecasts?|estimates|consensus|targets?)"
        ),
        -1.0,
    ),
    (_rx(r"\bprofit warning\b|\bwarns?\b|\bwarned\b"), -1.0),
    (
        _rx(
            r"\b(?:all-time|record|(?:\w+-)?(?:year|month|week)|new) highs?\b|"
            r"\bhighest (?:level|ever)\b|\bbest (?:\w+ )?(?:result|quarter|year)"
        ),
        1.0,
    ),
    (
        _rx(
            r"\b(?:all-time|record|(?:\w+-)?(?:year|month|week)|new) lows?\b|"
            r"\blowest level\b"
        ),
        -1.0,
    ),
    (_rx(r"\b(?:buy ?back|buy back|repurchase programme|repurchase program)\b"), 0.8),
    (_rx(r"\b(?:additional|extra|special) dividend\b|\bcapital gain\b|\bat a gain\b"), 0.8),
    (
        _rx(
            r"\bno dividend\b|\bnot (?:to )?pay (?:a |any )?dividend\b|"
            r"\bdividend (?:is |was )?(?:half|cancell?ed|scrapped|suspended)\b"
        ),
        -1.0,
    ),
    (_rx(r"\bupgraded\b|\bupgrades\b(?:\W+\w+){0,3}?\W+to\b"), 0.9),
    (_rx(r"\bdowngraded?\b|\bdowngrades\b"), -1.0),
    (_rx(r"\bannual savings\b|\bsavings of\b"), 0.6),
    (_rx(r"\bin (?:favou?r) of\b"), 0.7),
    # Jobs and capacity.
    (
        _rx(
            r"\blay(?:s|ing)? off\b|\blaid off\b|\blay-?offs?\b|\bredundanc(?:y|ies)\b|"
            r"\bdismissals?\b|\bjob cuts?\b|\bjob losses\b"
        ),
        -1.0,
    ),
    (_rx(r"\b(?:co-?determination|change|employee|personnel|statutory) negotiations\b"), -0.8),
    (
        _rx(
            r"\b(?:close|closes|closed|closing|closure of|shut|shuts|shutting)\b(?:\W+\w+){0,5}?"
            r"\W+(?:plant|factory|factories|mill|mills|machine|production line|mine|smelter|"
            r"refinery)\b"
        ),
        -1.0,
    ),
    (
        _rx(
            r"\b(?:halts?|halted|suspends?|suspended|freezes|froze|frozen|stops?|stopped)\b"
            r"(?:\W+\w+){0,3}?\W+(?:production|withdrawals|operations|trading|deliveries|output)\b"
        ),
        -1.0,
    ),
    (
        _rx(
            r"\b(?:cancell?ed|cancels|cancell?ing|lost|loses|losing|terminated)\b(?:\W+\w+){0,4}?"
            r"\W+(?:orders?|contracts?|deals?|customers?|cases?|licen[cs]es?)\b"
        ),
        -1.0,
    ),
    (_rx(r"\brecalls?\b|\brecalled\b"), -0.8),
    # Legal, regulatory and security events.
    (
        _rx(
            r"\bbankrupt(?:cy)?\b|\binsolven(?:cy|t)\b|\breceivership\b|\bchapter 11\b|"
            r"\bgoing concern\b|\binto liquidation\b|\bdefaults? on\b"
        ),
        -1.2,
    ),
    (
        _rx(
            r"\b(?:sues?|sued|suing|lawsuit|charged|charges\b(?:\W+\w+){0,4}?\W+with|indicted|"
            r"arrested|fined|fines?\b(?:\W+\w+){0,3}?\W+(?:eur|usd|\$|€)|penalty|price fixing|"
            r"fraud|money laundering|probe|investigat(?:ed|ion|es|ing)|subpoena|violations?|"
            r"breach(?:ed|ing)?|crackdown)"
        ),
        -1.0,
    ),
    (_rx(r"\bfined\b"), -0.3),
    (
        _rx(
            r"\bhack(?:s|ed|ers?)?\b|\bexploit(?:ed)?\b|\bdrained\b|\bstolen\b|\bsteal\b|"
            r"\bstole\b|\bheist\b"
        ),
        -1.0,
    ),
    (_rx(r"\bbans?\b|\bbanned\b|\bprohibits?\b|\bprohibited\b"), -1.0),
    (
        _rx(
            r"\boutages?\b|\bdelist(?:s|ed|ing)?\b|\bde-?peg(?:s|ged)?\b|"
            r"\b(?:lose|loses|lost) (?:\w+ )?(?:\w+ )?peg\b|\bcapitulat\w*|\bsell-?off\b|"
            r"\bexits?\b(?:\W+\w+){0,1}?\W+(?:market|country|canada|uk|us)\b"
        ),
        -1.0,
    ),
    (_rx(r"\b(?:failed|fails|failure) to\b|\brejected\b|\brejects\b"), -0.8),
    (
        _rx(
            r"\b(?:hit|hurt|burdened|weighed|weigh|weighs|pressured|squeezed|dented) "
            r"(?:by|on|hard|down)\b|\bhit (?:\w+ )?(?:sales|profit|demand|earnings)"
        ),
        -0.8,
    ),
    # Management tone and execution.
    (_rx(r"\b(?:pleased|delighted|satisfied|proud|excited)\b"), 0.6),
    (_rx(r"\bsuccess(?:ful|fully)?\b"), 0.5),
    (_rx(r"\bpositive (?:impact|effect|contribution)\b"), 0.7),
    (_rx(r"\bnegative (?:impact|effect|contribution)\b"), -0.7),
    (_rx(r"\bfailed (?:trial|study|test|launch|merger|bid|offer|takeover)\b"), -0.8),
    (_rx(r"\b(?:disappointed|unsatisfactory|regrettabl[ey])\b"), -0.6),
    (_rx(r"\b(?:problems|difficulties|setbacks?|delays?|delayed)\b"), -0.5),
    # Market and crypto vocabulary.
    (
        _rx(
            r"\bbullish\b|\bbreaks? out\b|\bbreakout\b|\bshort squeeze\b|"
            r"\boutperforms?\b"
        ),
        0.9,
    ),
    (_rx(r"\binflows?\b"), 0.6),
    (_rx(r"\boutflows?\b"), -0.6),
    (_rx(r"\bbearish\b|\bbreaks? (?:key )?support\b"), -0.9),
    (
        _rx(
            r"\b(?:accept|accepts|accepting)\b(?:\W+\w+){0,3}?\W+(?:bitcoin|crypto|token|"
            r"payments?)\b|\badoption\b|\bpartnership with\b"
        ),
        0.6,
    ),
    (_rx(r"\bfears?\b|\bworries\b|\bconcerns? (?:over|about)\b|\brecession\b|\bturmoil\b"), -0.6),
    (
        _rx(
            r"\b(?:extreme|difficult|challenging|tough|weak) (?:market|economic|trading) "
            r"conditions\b|\bfinancial crisis\b"
        ),
        -0.7,
    ),
)
