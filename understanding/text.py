"""From a Teams message to tokens: markup removed, words split, typos and abbreviations mended.

Each token keeps what was typed (for names and free text) and a ``word``: the lower-case
vocabulary form after mending ("reveiw" -> "review", "tues" -> "tuesday", "wen" -> "when"). The
intent rules and the date grammar read ``word``; a token whose word is not in the vocabulary is
a candidate for a child's name.

Typos are mended only towards a short list of words that carry meaning here (CORRECTABLE), and
cautiously, because children's names are the other thing people type: 3 letters only for a
missing letter ("bok"); 4 letters only for a swapped or missing letter ("wehn", "hlep",
"brng"), not a changed one ("Kate" is not "late"); 5-7 letters allow one edit; 8 or more, two.
A capitalised word inside a sentence is taken as a name and not mended, and so is any word in
the user's known names.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from domain.names import normalise_name

#: Longer messages are cut here: a request is never this long, and it bounds the work per turn.
MAX_CHARS = 1000

_SENTENCE_END = re.compile(r"[.!;:\n]")

#: domain.names.normalise_name, memoised: the same few words are folded on every turn.
fold_name = lru_cache(maxsize=16384)(normalise_name)

_MARKUP = re.compile(r"<at>.*?</at>|<[^>]{0,200}>", re.IGNORECASE | re.DOTALL)
_APOSTROPHES = str.maketrans({c: "'" for c in "’‘`´ʼ"})
_TOKEN = re.compile(
    r"(?P<time>\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b)"
    r"|(?P<num>\b\d{1,4}(?:[/.\-]\d{1,4}){1,2}\b)"
    r"|(?P<word>[^\W_]+(?:'[^\W_]+)*(?:-[^\W_]+(?:'[^\W_]+)*)*'?)"
    r"|(?P<q>\?)",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Token:
    raw: str  # as typed, possessive 's removed
    start: int  # offsets in the cleaned text
    end: int
    word: str  # vocabulary form (lower case, mended) or the folded raw text
    kind: str  # "word", "num" (a numeric date like 14/1), "time" (10am), "q" (?)
    known: bool = False  # word is in the vocabulary
    possessive: bool = False
    capital: bool = False  # typed with a capital (names usually are)
    initial: bool = False  # first token of the message or of a sentence
    used: bool = False  # taken by an entity (date, stage, reference...): not part of a name


def clean(text: str) -> str:
    """The message without Teams mentions, markup and entities, with straight apostrophes."""
    text = text[:MAX_CHARS]
    if "<" in text:
        text = _MARKUP.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text.translate(_APOSTROPHES)


def tokenise(text: str, known_names: frozenset[str] = frozenset()) -> list[Token]:
    tokens: list[Token] = []
    sentence_start = True
    last_end = 0
    for m in _TOKEN.finditer(text):
        between = text[last_end : m.start()]
        if tokens and _SENTENCE_END.search(between):
            sentence_start = True
        last_end = m.end()
        kind = m.lastgroup or "word"
        raw = m.group()
        if kind != "word":
            tokens.append(Token(raw, m.start(), m.end(), raw.lower(), kind, known=True))
            sentence_start = kind == "q"
            continue
        possessive = False
        lowered = raw.lower()
        if lowered.endswith("'s") and len(raw) > 2:
            raw, possessive = raw[:-2], True
        elif raw.endswith("'"):
            raw, possessive = raw[:-1], True
        if not raw:
            continue
        capital = raw[0].isupper()
        parts = _split_hyphenated(raw)
        offset = m.start()
        for n, part in enumerate(parts):
            start = text.find(part, offset)
            end = start + len(part)
            offset = end
            word, known = vocabulary_form(part, known_names, capital and not sentence_start)
            tokens.append(
                Token(
                    part,
                    start,
                    end,
                    word,
                    "word",
                    known,
                    possessive and n == len(parts) - 1,
                    part[:1].isupper(),
                    sentence_start,
                )
            )
            sentence_start = False
    return tokens


def _split_hyphenated(raw: str) -> list[str]:
    """'bring-forward' and 'part-1' are words; 'Smith-Jones' and 'Ella-Rose' stay one name."""
    if "-" not in raw:
        return [raw]
    parts = [p for p in raw.split("-") if p]
    if all(p.isdigit() or _fold(p) in VOCABULARY or _fold(p) in CORRECTIONS for p in parts):
        return parts
    return [raw]


def _fold(text: str) -> str:
    return text.lower().replace("'", "")


def vocabulary_form(
    raw: str, known_names: frozenset[str], looks_like_name: bool
) -> tuple[str, bool]:
    """(word, known): the vocabulary word ``raw`` stands for, or its fold and False."""
    folded = _fold(raw)
    if folded in VOCABULARY:
        return folded, True
    if folded in CORRECTIONS:
        return CORRECTIONS[folded], True
    if looks_like_name or folded in known_names or not folded.isalpha():
        return folded, False
    mended = _mend(folded)
    return (mended, True) if mended else (folded, False)


@lru_cache(maxsize=8192)
def _mend(word: str) -> str | None:
    """The CORRECTABLE word ``word`` is a typo of, if it is one (see the module doc)."""
    n = len(word)
    if n < 3:
        return None
    limit = 1 if n < 8 else 2
    found = process.extractOne(word, _CORRECTABLE_LIST, scorer=OSA.distance, score_cutoff=limit)
    if found is None:
        return None
    target = found[0]
    if n == 3 and len(target) != 4:
        return None  # 3 letters: only a missing letter ("bok"); "Kai" is not "kid"
    if n == 4 and len(target) == 4 and sorted(target) != sorted(word):
        return None  # a changed letter in a 4-letter word: more likely a name than a typo
    return target


# -- vocabulary ----------------------------------------------------------------------------------

WEEKDAYS = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "few": 3,
}  # fmt: skip

#: Abbreviations, text-speak and common misspellings, mapped to the word meant.
CORRECTIONS: dict[str, str] = {
    "wen": "when", "whens": "when", "wat": "what", "wot": "what", "whats": "what", "nxt": "next",
    "rvw": "review", "revw": "review", "pls": "please", "plz": "please", "ur": "your",
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "2moro": "tomorrow",
    "2morrow": "tomorrow", "tomoz": "tomorrow", "yday": "yesterday", "b4": "before",
    "thx": "thanks", "thnx": "thanks", "ty": "thanks", "ta": "thanks", "fwd": "forward",
    "frwd": "forward", "wk": "week", "wks": "weeks", "mth": "month", "mths": "months",
    "conf": "conference", "confs": "conferences", "mon": "monday", "tue": "tuesday",
    "tues": "tuesday", "wed": "wednesday", "weds": "wednesday", "thu": "thursday",
    "thur": "thursday", "thurs": "thursday", "fri": "friday", "sat": "saturday", "sun": "sunday",
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june",
    "jul": "july", "aug": "august", "sep": "september", "sept": "september", "oct": "october",
    "nov": "november", "dec": "december", "xmas": "christmas", "im": "i", "ive": "i", "id": "i",
    "ill": "i", "shes": "she", "hes": "he", "theyre": "they", "theyve": "they", "its": "it",
    "thats": "that", "theres": "there", "lets": "let", "whos": "who", "hows": "how",
    "wheres": "where", "whys": "why", "yr": "year", "yrs": "years", "hv": "have", "abt": "about",
    "asap": "asap", "nvm": "nevermind", "ok": "ok", "yp": "child", "lac": "cic", "cla": "cic",
    "ssw": "sw", "irs": "irs", "iros": "iro", "govt": "government", "info": "information",
    "appt": "appointment", "mtg": "meeting", "approx": "about", "tho": "though", "cuz": "because",
    "cos": "because", "coz": "because", "bc": "because", "wrt": "about", "re": "about",
    "hru": "how", "mornin": "morning", "hiya": "hiya", "heya": "hey", "hii": "hi",
    "helo": "hello", "thankyou": "thanks", "thanku": "thanks", "cheers": "cheers",
    "fortnite": "fortnight", "fortnights": "fortnights", "ones": "ones",
}  # fmt: skip

_WORDS = """
a about above after afternoon again against ago all allocate allocated allocating allocation
allowance allowances already also am an and another answer answered answering any anyone
anything approval approve are around as ask at available awaiting away back be because been
before being below between booked both brought but by call calculate calculated calculation can
case caseload change changes check child children come comes coming completed concern concerns
could current currently date dated dates day days delay delayed delays did do does doing done
due during each earlier end ending ends enter entered every evening ever first fine following
for from get gets getting give go goes going gone good got had happen happened happening happens
has have having he held help her here hers hey hi him his hold holding how i if in into is it
just kid kids know last late later let like list look looking many me meeting meetings mine
month months more morning most much must my myself need needed needs never new next no none
not now of off on once one only open or other our out outstanding over overdue own part past
people please put rather ready really record recorded recording reply respond responded response
right same see set shall she should show since so some soon start started still such take taken
tell than thank thanks that the their them then there these they thing things this those though
through till time to today told tomorrow tonight too two under until up upcoming update us very
wait waiting want wanted was way we week weekend weeks well were what whatever when where which
while who whole why will with within without work worked working would yes yesterday yet you
young your person persons she's
review reviews reviewed reviewing reveiws cic conference conferences cp icpc rcpc protection
initial ir issue issues resolution resolutions dispute disputes escalate escalated escalating
escalation stage stages informal formal sw sws iro social worker workers manager managers
service services director directors team leader head la lead local authority authority's
advocate advocacy visit visits visiting statutory allowance payments placement placements plan
plans planned planning care carer carers proceedings court report reports reporting sen ehcp
education educational school provision provider providers failure failed failing fail significant
event events notified notify informed life story later-life health assessment assessments
move moved moving moves home parent parents mum mums dad mother father family foster fostering
residential ended breaking breakdown broke sick sickness ill illness off annual leave holiday
minutes decisions record log logged logging mark marked chair chaired chairing attend attended
book booking schedule scheduled scheduling arrange arranged arranging diary calendar slot
bring bringing forward forwards sooner raise raised raising start lodge submit submitted create
challenge challenging status progress stuck happening explain explained explanation reason
reasons rule rules regulation regulations basis calculated worked figure figured out come
cancel cancelled stop quit abort exit nevermind mind forget forgotten
hello hiya yo greetings thanks cheers lol haha hmm ok okay sorry great cool brilliant lovely
command commands use using usage able options features feature instructions guide
due overdue missed missing outstanding coming upcoming expiring breach breached
week weeks fortnight fortnights fortnightly month months year years day days weekly monthly
today tomorrow yesterday tonight now christmas eve boxing easter new year's
asap urgent urgently quick quickly quickest also another else
first second third fourth fifth sixth seventh eighth ninth tenth
eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth
twentieth twenty thirty thirtieth full whole complete partial part pt
above below earlier earliest latest soonest
email emails emailed send sent circulated distributed issued shared paperwork decision
print printer printed broken weather football won lose lost running
minutes document documents file files form forms letter letters phone ring called text message
messages teams chat bot bots assistant computer laptop system systems password login
appointment appointments contact contacts address number numbers id ids reference ref refs
child's childs them themselves herself himself they their theirs he she it
there's ones one's
uasc unaccompanied asylum seeker seeking dob birth born birthday old age aged legal section
s20 s31 order orders interim note notes noted cafcass refer referral referred refer decline
declined declining reject rejected refuse refused resolve resolved resolving close closed sorted
outcome agreed agree disagree details detail cases caseloads area areas looked since became
become entered allocated whose who's how many number count total across everyone everybody
fix fixed amend amended edit edited correct corrected correction wrong incorrect mistake
participation locality location venue chair
dont cant wont didnt doesnt hasnt havent isnt wasnt arent werent shouldnt couldnt wouldnt
""".split()  # noqa: SIM905 - a word list reads better as text

#: Words a typo is mended towards: the ones that decide an intent or a date.
CORRECTABLE = (
    "review", "reviews", "when", "what", "next", "due", "overdue", "held", "record", "recorded",
    "book", "booked", "booking", "schedule", "arrange", "bring", "forward", "brought", "earlier",
    "raise", "raised", "issue", "issues", "resolution", "resolutions", "escalate", "status",
    "explain", "conference", "conferences", "protection", "cancel", "help", "fortnight", "week",
    "weeks", "month", "months", "today", "tomorrow", "yesterday", "christmas", "placement",
    "advocate", "allowances", "visits", "reports", "report", "please", "happened", "completed",
    "finished", "respond", "response", "waiting", "awaiting", "thanks", "morning", "afternoon",
    "evening", "hello", "between", "before", "until", "coming", "upcoming", "calculated",
    "informal", "stage", "commands", "nevermind", "statutory", "proceedings", "provider",
    "education", "cafcass", "decline", "resolve", "resolved", "caseload", "unaccompanied",
    *WEEKDAYS, *MONTHS,
)  # fmt: skip
_CORRECTABLE_LIST = list(CORRECTABLE)

VOCABULARY: frozenset[str] = frozenset(
    [*_WORDS, *WEEKDAYS, *MONTHS, *NUMBER_WORDS, *CORRECTIONS.values(), *CORRECTABLE]
)

PRONOUNS = frozenset({"her", "him", "his", "them", "they", "she", "he", "their", "hers"})
