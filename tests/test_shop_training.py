"""`evidence train --decisions` / `--db`: a shop's review decisions tune the backoff.

The shop's chat below has a message the shipped backoff gets wrong (a week's use read as a
quality claim, on record in test_nlp_paraphrases.BACKOFF_MISTAKES) and a claim it scores
under its threshold.  A person dismisses the one and adds the other; the tuned model must
score them (and the same shop's other wording of them) the way the person said."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.nlp import Tagger
from extractor.nlp.backoff import load_model
from extractor.nlp.normalize import normalize
from extractor.nlp.shop_training import _targets
from extractor.review import Decision
from extractor.store import CaseStore

runner = CliRunner()
BJ = ZoneInfo("Asia/Shanghai")
SENT = datetime(2025, 7, 3, 10, 0, tzinfo=BJ)
SHOP = "康舒家居旗舰店"
BUYER = "tb_wang_2231"
WRONG = "贴了一个星期 腰不疼了"  # the backoff: return_claim (quality)
WRONG_AGAIN = "贴了两个星期 腰也不疼了"  # the same shop's buyers say it again
MISSED = "贴了两片都没热感"  # a quality claim (a heat patch that does not heat) nothing tags
MISSED_AGAIN = "两片贴上都没热感"
UNRELATED = "什么时候发货啊"


def write_chat(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["消息记录", f"对象: {BUYER}", "即时消息",
             f"2025-06-20 09:12:03 {BUYER}: 这个护腰贴一盒几片",
             f"2025-06-20 09:13:40 {SHOP}:小周: 亲，一盒10片哦",
             f"2025-06-28 20:01:15 {BUYER}: {WRONG}",
             f"2025-06-28 20:03:02 {SHOP}:小周: 亲，好用就好，有问题随时找我们",
             f"2025-07-01 11:30:44 {BUYER}: {MISSED}",
             f"2025-07-01 11:32:10 {SHOP}:小周: 亲，抱歉，拍个照片给我们看看"]
    path = folder / f"旺旺-{BUYER}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The shop's export imported into a store; the keys of the two buyer messages."""
    root = tmp_path_factory.mktemp("shop")
    chat = write_chat(root / "exports")
    store = CaseStore(root / "cases.db")
    store.import_paths([str(chat)])
    keys = {r["text"]: r["key"] for r in store.db.execute("SELECT key, text FROM events")}
    store.close()
    return root, chat, keys


def detector(model, text: str) -> float:
    return float(model.detect([normalize(text).text])[0, 0])


def write_decisions(path: Path, rows) -> Path:
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_the_shipped_model_gets_the_shop_messages_wrong():
    """The premise: without the decisions, the wrong tag is made and the claim is missed."""
    tagger = Tagger()
    assert [t.label for t in tagger.tag_text(WRONG, "buyer", SENT)] == ["return_claim"]
    assert not tagger.tag_text(MISSED, "buyer", SENT)


@pytest.mark.parametrize("source", ["db", "decisions and inputs"])
def test_dismiss_lowers_and_add_raises_the_score_on_the_message_and_its_paraphrase(tmp_path, shop, source):
    root, chat, keys = shop
    decisions = [{"event": keys[WRONG], "action": "dismiss", "label": "return_claim", "reason": "quality",
                  "who": "小周", "at": "2025-07-02T09:00:00+08:00"},
                 {"event": keys[MISSED], "action": "add", "label": "return_claim", "reason": "quality", "who": "小周"}]
    out = tmp_path / "shop-model.json"
    if source == "db":
        db = tmp_path / "cases.db"
        store = CaseStore(db)
        store.import_paths([str(chat)])
        for d in decisions:
            store.add_decision(Decision(**d))
        store.close()
        args = ["--db", str(db)]
    else:
        args = ["--decisions", str(write_decisions(tmp_path / "decisions.jsonl", decisions)), "--inputs", str(chat)]
    result = runner.invoke(app, ["train", *args, "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "learnt 2 of 2 decisions on 2 buyer messages" in result.stdout
    base, tuned = load_model(), load_model(out)
    threshold = base.thresholds["return_claim"]
    for text in (WRONG, WRONG_AGAIN):
        assert detector(tuned, text) < detector(base, text) - 0.05
    for text in (MISSED, MISSED_AGAIN):
        assert detector(tuned, text) > detector(base, text) + 0.05
    assert detector(tuned, WRONG) < threshold <= detector(tuned, MISSED)
    assert tuned.thresholds == base.thresholds
    # and the tagger with --backoff FILE follows
    tagger = Tagger(backoff=str(out))
    assert not tagger.tag_text(WRONG, "buyer", SENT)
    assert [(t.label, t.reason) for t in tagger.tag_text(MISSED, "buyer", SENT)] == [("return_claim", "quality")]
    trained_on = json.loads(out.read_text("utf-8"))["trained_on"]
    assert trained_on["shop_decisions"]["learnt"] == 2 and trained_on["base"] == base.file


def test_a_decision_on_an_event_not_in_the_inputs_is_a_warning_with_its_line(tmp_path, shop):
    root, chat, keys = shop
    path = write_decisions(tmp_path / "d.jsonl", [
        {"event": keys[WRONG], "action": "dismiss", "label": "return_claim"},
        "\n",
        {"event": "0" * 20, "action": "dismiss", "label": "return_claim"}])
    result = runner.invoke(app, ["train", "--decisions", str(path), "--inputs", str(chat),
                                 "--out", str(tmp_path / "m.json")])
    assert result.exit_code == 6, result.stderr
    assert f"warning: {path}:3: event {'0' * 20} is not in the inputs" in result.stderr
    assert f"{path}:1" not in result.stderr
    assert (tmp_path / "m.json").is_file()


def test_decisions_none_of_which_are_in_the_inputs_are_error_e405(tmp_path, shop):
    root, chat, _ = shop
    path = write_decisions(tmp_path / "d.jsonl", [{"event": "1" * 20, "action": "confirm", "label": "return_claim"},
                                                   {"event": "2" * 20, "action": "add", "label": "compensation_demand"}])
    result = runner.invoke(app, ["train", "--decisions", str(path), "--inputs", str(chat),
                                 "--out", str(tmp_path / "m.json")])
    assert result.exit_code == 2
    assert "error [E405] none of the 2 decisions can be learnt (2 name events not in the inputs" in result.stderr
    assert f"{path}:1: event {'1' * 20}" in result.stderr and f"{path}:2: event {'2' * 20}" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "m.json").exists()


@pytest.mark.parametrize("line, message", [
    ("{not json\n", "not JSON"),
    ('{"event": "abc", "action": "dismis", "label": "return_claim"}\n', "action 'dismis' is not one of"),
    ('{"event": "abc", "action": "add", "label": "return_claim"}\n', "adding 'return_claim' needs its reason"),
])
def test_a_malformed_line_is_error_e403_naming_it(tmp_path, shop, line, message):
    _, chat, keys = shop
    path = write_decisions(tmp_path / "d.jsonl", [{"event": keys[WRONG], "action": "dismiss", "label": "return_claim"},
                                                   "\n", line])
    result = runner.invoke(app, ["train", "--decisions", str(path), "--inputs", str(chat),
                                 "--out", str(tmp_path / "m.json")])
    assert result.exit_code == 2
    assert f"error [E403] {path}:3: {message}" in result.stderr
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize("args, message", [
    (["--decisions", "{d}"], "a decisions file holds event keys, not the messages' text: give the exports"),
    (["--db", "{tmp}/nowhere.db"], "no case store there"),
    (["--decisions", "{d}", "--inputs", "{chat}", "--out", "{package}"], "inside the installed package"),
    (["--decisions", "{d}", "corpora/eval/dev"], "corpus parts and shop decisions train differently"),
])
def test_what_is_missing_is_named(tmp_path, shop, args, message):
    import extractor

    _, chat, keys = shop
    d = write_decisions(tmp_path / "d.jsonl", [{"event": keys[WRONG], "action": "dismiss", "label": "return_claim"}])
    package = Path(extractor.__file__).parent / "nlp" / "models" / "shop.json"
    filled = [a.format(d=d, tmp=tmp_path, chat=chat, package=package) for a in args]
    if "--out" not in filled:
        filled += ["--out", str(tmp_path / "m.json")]
    result = runner.invoke(app, ["train", *filled])
    assert result.exit_code == 2
    assert message in result.stderr and "error [E4" in result.stderr
    assert not package.exists() and not (tmp_path / "m.json").exists()


def test_decisions_on_labels_the_backoff_does_not_learn_are_said_so(tmp_path, shop):
    _, chat, keys = shop
    d = write_decisions(tmp_path / "d.jsonl", [{"event": keys[WRONG], "action": "add", "label": "threat"}])
    result = runner.invoke(app, ["train", "--decisions", str(d), "--inputs", str(chat), "--out", str(tmp_path / "m.json")])
    assert result.exit_code == 2 and "error [E405]" in result.stderr
    assert "labels the backoff does not learn (rules only) are not learnt: threat 1" in result.stderr


@pytest.mark.parametrize("decisions, expected", [
    ([("dismiss", "return_claim", None)], ((0.0, None), (), ())),
    ([("dismiss", "return_claim", "quality")], ((0.0, None), (), ("quality",))),
    ([("confirm", "return_claim", "quality"), ("dismiss", "return_claim", "quality")], ((0.0, None), (), ("quality",))),
    ([("dismiss", "return_claim", "quality"), ("add", "return_claim", "allergy")],
     ((1.0, None), ("allergy",), ("quality",))),
    ([("dismiss", "return_claim", "quality"), ("confirm", "return_claim", "quality")], ((1.0, None), ("quality",), ())),
    ([("confirm", "return_claim", "quality"), ("dismiss", "return_claim", None)], ((0.0, None), (), ("quality",))),
    ([("add", "compensation_demand", None)], ((None, 1.0), (), ())),
    ([("confirm", "compensation_demand", None), ("dismiss", "compensation_demand", None)], ((None, 0.0), (), ())),
])
def test_targets_follow_the_decisions_in_order(decisions, expected):
    detector_targets, right, wrong = _targets([Decision("k", a, label, reason) for a, label, reason in decisions])
    assert (detector_targets, right, wrong) == expected


def test_an_input_that_cannot_be_read_is_named(tmp_path, shop):
    _, chat, keys = shop
    broken = tmp_path / "exports" / "聊天记录.xlsx"
    broken.parent.mkdir()
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    d = write_decisions(tmp_path / "d.jsonl", [{"event": keys[WRONG], "action": "dismiss", "label": "return_claim"}])
    result = runner.invoke(app, ["train", "--decisions", str(d), "--inputs", str(chat), "--inputs", str(broken),
                                 "--out", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.stderr
    assert f"warning: {broken}: not read, so no decision on its events can be learnt" in result.stderr
