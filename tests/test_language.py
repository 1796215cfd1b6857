"""Language detection: the row-cached scorer decides exactly as py3langid's own."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.language import _identifier, detect_language

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

SAMPLES = [
    "The city council voted on Tuesday to add three bus routes to the northside of town.",
    "Le conseil municipal a voté mardi l'ajout de trois lignes de bus dans le nord de la ville.",
    "Der Stadtrat hat am Dienstag beschlossen, drei neue Buslinien im Norden einzurichten.",
    "El ayuntamiento aprobó el martes tres nuevas líneas de autobús en el norte de la ciudad.",
    "市議会は火曜日、市の北部に3つのバス路線を追加することを決めました。新しい路線は来月から運行を始める予定です。",
    "Городской совет во вторник проголосовал за три новых автобусных маршрута на севере.",
]


def test_same_scores_as_the_stock_identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    stock = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    texts = list(SAMPLES)
    truth = (CORPUS / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    texts += [json.loads(line)["body"][:1500] for line in truth[:40]]
    fast = _identifier()
    for text in texts * 2:  # the second round scores from rows already widened
        code, probability = fast.classify(text)
        expected_code, expected_probability = stock.classify(text)
        assert code == expected_code
        assert abs(probability - expected_probability) < 1e-5
    assert fast._used > 0  # the cached scorer ran (a py3langid upgrade could bypass it)


def test_detected_languages():
    assert [detect_language(text) for text in SAMPLES] == ["en", "fr", "de", "es", "ja", "ru"]
    assert detect_language("Home") is None  # too short to say
