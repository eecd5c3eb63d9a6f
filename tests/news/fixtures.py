"""Small newspaper collections in the real layouts, written by the tests (no binary fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

TITLES = {
    "sn84026749": {"name": "The Washington times.", "place_of_publication": "Washington [D.C.]",
                   "place": ["District of Columbia--Washington"]},
    "2010270504": {"name": "The North Platte semi-weekly tribune.", "place_of_publication": "North Platte, Neb.",
                   "place": ["Nebraska--Lincoln--North Platte"]},
    "sn82014086": {"name": "Norwich bulletin.", "place_of_publication": "Norwich, Conn.",
                   "place": ["Connecticut--New London--Norwich"]},
}

# A wire story as three papers printed it: the same words with different OCR slips and line breaks.
WIRE = (
    "EL PASO, Texas, July 3. General Pershing reported to the War Department to-night that the "
    "punitive expedition had withdrawn its outposts from the valley after the skirmish at Carrizal, "
    "where twelve troopers of the Tenth Cavalry were killed and twenty-three captured by the forces of "
    "General Trevino. The prisoners were released at the border yesterday and are now on their way to "
    "Columbus. Officials at Washington say that the note from Carranza is conciliatory in tone, and the "
    "danger of war with Mexico is believed to have passed for the present, though the militia of every "
    "state will remain on the border until the bandits are dispersed and order restored in Chihuahua."
)
OTHER = (
    "The county fair association met in the court house Monday evening and elected officers for the "
    "coming year. The premium list will be larger than ever before, and the racing program includes "
    "purses for trotters and pacers. Farmers are urged to bring their best stock and grain for the "
    "exhibits, as the judges this year come from the state agricultural college. The band will play "
    "each afternoon and a balloon ascension is promised for the closing day if the weather permits."
)
WINTER = (
    "The steamship Persia of the Peninsular and Oriental line was sunk in the Mediterranean without "
    "warning, and Secretary Lansing has asked Ambassador Penfield at Vienna for a full report. Robert "
    "McNeely, American consul at Aden, was among the passengers and is believed lost. President Wilson "
    "will wait for the facts before acting, but members of Congress demand that the submarine campaign "
    "against passenger ships be brought to an end at once, and the cabinet will meet on Friday."
)


def ocr_lines(text: str, width: int = 38, slips: dict | None = None) -> str:
    """Break text into narrow OCR-like column lines (hyphenating some words), with OCR slips applied."""
    for good, bad in (slips or {}).items():
        text = text.replace(good, bad)
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            if len(word) > 7 and width - len(line) > 5:
                cut = width - len(line) - 2
                lines.append(f"{line} {word[:cut]}-".strip())
                line = word[cut:]
                continue
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def page(headline: str, story: str, second_head: str, second: str, slips: dict | None = None) -> str:
    """A front page: masthead, two articles with capital headlines and a deck."""
    return "\n".join([
        "PRICE ONE CENT.", "t", "I",
        headline, "Officials Confer at Capital", ocr_lines(story, slips=slips),
        second_head, ocr_lines(second),
    ]) + "\n"


def make_chronam(root: Path) -> Path:
    """A Chronicling America layout: titles/*.json and dates/YYYYMMDD/<lccn>-ed-N_seq-M.txt."""
    base = root / "chronam"
    (base / "titles").mkdir(parents=True)
    for lccn, info in TITLES.items():
        (base / "titles" / f"{lccn}.json").write_text(json.dumps({"lccn": lccn, **info}), encoding="utf-8")
    pages = {
        ("19160105", "sn84026749", 1): page("WILSON ASKS QUICK REPORT ON PERSIA", WINTER, "FAIR ELECTS OFFICERS", OTHER),
        ("19160703", "sn84026749", 1): page("TROOPERS FREED BY MEXICANS", WIRE, "FAIR ELECTS OFFICERS", OTHER),
        ("19160704", "2010270504", 1): page("PRISONERS RETURN TO BORDER", WIRE, "COUNTY FAIR PLANS",
                                            OTHER.replace("Monday", "Tuesday"), slips={"the ": "tho ", "were": "wero"}),
        ("19160705", "sn82014086", 2): page("CARRIZAL CAPTIVES RELEASED", WIRE, "LOCAL FAIR NEWS",
                                            OTHER.replace("balloon", "parachute"), slips={"and": "nnd"}),
    }
    for (day, lccn, ed), text in pages.items():
        folder = base / "dates" / day
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{lccn}-ed-{ed}_seq-1.txt").write_text(text, encoding="utf-8")
    return base


ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v2#">
 <Layout><Page ID="P1"><PrintSpace>
  <TextBlock ID="B1">
   <TextLine><String CONTENT="GREAT"/><SP/><String CONTENT="FLOOD"/></TextLine>
  </TextBlock>
  <TextBlock ID="B2">
   <TextLine><String CONTENT="The"/><SP/><String CONTENT="gov" SUBS_TYPE="HypPart1" SUBS_CONTENT="government"/><HYP CONTENT="-"/></TextLine>
   <TextLine><String CONTENT="ernment" SUBS_TYPE="HypPart2" SUBS_CONTENT="government"/><SP/><String CONTENT="sent"/><SP/><String CONTENT="aid."/></TextLine>
  </TextBlock>
 </PrintSpace></Page></Layout>
</alto>
"""


def make_loc_batch(root: Path) -> Path:
    """A Library of Congress batch: <lccn>/<YYYY-MM-DD>/ed-N/seq-M/ocr.xml (+ ocr.txt) and a titles record."""
    base = root / "batch_dlc_test"
    seq = base / "sn82014086" / "1916-07-04" / "ed-1" / "seq-3"
    seq.mkdir(parents=True)
    (seq / "ocr.xml").write_text(ALTO, encoding="utf-8")
    (seq / "ocr.txt").write_text("GREAT FLOOD\nThe gov-\nernment sent aid.\n", encoding="utf-8")
    (base / "titles").mkdir()
    (base / "titles" / "sn82014086.json").write_text(json.dumps({"lccn": "sn82014086", **TITLES["sn82014086"]}),
                                                     encoding="utf-8")
    return base


STORIES = [
    {"article_id": "1_1916-07-04_p1_sn84026749_00280651410_1916070401_0001", "newspaper_name": "The Washington times.",
     "edition": "01", "date": "Jul-04-1916", "page": "p1", "headline": "TROOPERS FREED", "byline": "By United Press",
     "article": WIRE},
    {"article_id": "2_1916-01-05_p1_sn82014086_00280651410_1916010501_0002", "newspaper_name": "Norwich bulletin.",
     "edition": "01", "date": "Jan-05-1916", "page": "p1", "headline": "PERSIA SUNK", "byline": "",
     "article": WINTER},
]
