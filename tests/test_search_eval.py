"""Measuring search: metrics, baselines, and the `search` / `eval` command lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from index.baselines import build_baselines
from index.evaluate import evaluate, metrics, read_judgements
from index.service import SearchService
from knowledge.catalogue import apply_catalogue
from knowledge.db import make_engine, make_sessionmaker
from knowledge.migrations import prepare_schema
from knowledge.settings import get_settings
from tests.factories import catalogue, procedure_record, unit

MARRIAGE = procedure_record(code="1.000894", name="Thủ tục đăng ký kết hôn")
DEATH = procedure_record(code="1.000656", name="Thủ tục đăng ký khai tử", result="Trích lục khai tử")
RESIDENCE = procedure_record(code="1.004222", name="Đăng ký thường trú", field="Cư trú")
JUDGEMENTS = [
    {"query": "dang ky ket hon", "relevant": ["1.000894"]},
    {"query": "báo tử cho bố", "relevant": ["1.000656"]},
    {"query": "nhập hộ khẩu", "relevant": ["1.004222", "9.999999"]},
]


NO_MATCH = {"no_match_n", "no_match_ok", "no_match_wrong"}


def test_metrics_count_any_relevant_code() -> None:
    figures = metrics(
        [
            (["a", "b"], frozenset({"a"})),  # rank 1
            (["x", "y", "b"], frozenset({"b", "z"})),  # rank 3
            (["x", "x", "x", "x", "x", "b"], frozenset({"b"})),  # rank 6
            ([], frozenset({"a"})),  # refused
            ([], frozenset()),  # a message about no procedure, refused
            (["a"], frozenset()),  # … answered
        ]
    )
    assert figures == {
        "n": 4,
        "top1": 0.25,
        "recall@3": 0.5,
        "recall@5": 0.5,
        "mrr@10": round((1 + 1 / 3 + 1 / 6) / 4, 4),
        "no_match_n": 2,
        "no_match_ok": 0.5,
        "no_match_wrong": 0.25,
    }
    assert metrics([])["n"] == 0
    assert metrics([(["a"], frozenset({"a"}))])["no_match_ok"] is None


def test_bad_judgement_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"query": "x", "relevant": ["1"]}\n\n{"query": "y"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:3"):
        read_judgements(path)


@pytest.fixture
def judgements(tmp_path: Path) -> Path:
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(j, ensure_ascii=False) for j in JUDGEMENTS), encoding="utf-8")
    return path


@pytest.fixture
def sessions(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory.begin() as session:
        apply_catalogue(session, catalogue(MARRIAGE, DEATH, RESIDENCE), "test")
    return session_factory


def test_evaluate_the_service(sessions: sessionmaker[Session], tmp_path: Path, judgements: Path) -> None:
    figures = evaluate(SearchService(sessions, tmp_path / "index"), judgements)
    assert figures["n"] == 3
    assert figures["top1"] == figures["mrr@10"] == 1.0


def test_baselines_miss_what_analysis_finds(sessions: sessionmaker[Session]) -> None:
    baselines = build_baselines(sessions)
    assert set(baselines) == {"fts5", "whoosh-standard"}
    fts5, standard = baselines["fts5"], baselines["whoosh-standard"]
    assert fts5("đăng ký kết hôn", 3)[0] == MARRIAGE["code"]
    assert fts5("ket hon", 3)[0] == MARRIAGE["code"]  # tones are folded…
    assert fts5("dang", 3) == []  # …but not đ
    assert standard("đăng ký kết hôn", 3)[0] == MARRIAGE["code"]
    assert standard("ket hon", 3) == []  # no accent folding at all
    assert fts5('AND OR " *', 3) == [] and standard("", 3) == []


# --- command line -------------------------------------------------------------------------------


@pytest.fixture
def cli(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[int, str]]]:
    """`tthc-bot ARGS…` on a small database (catalogue and one commune already loaded)."""
    engine = make_engine(db_url)
    prepare_schema(engine)
    with make_sessionmaker(engine).begin() as session:
        apply_catalogue(session, catalogue(MARRIAGE, DEATH, RESIDENCE), "test")
        province = unit(session, "38", kind="province", era="2025", name="Tỉnh Thanh Hóa")
        unit(session, "16225", kind="commune", parent=province, era="2025", name="Xã Thượng Ninh")
    engine.dispose()
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().out

    yield run
    get_settings.cache_clear()


def test_search_command_json(cli: Callable[..., tuple[int, str]]) -> None:
    code, out = cli("search", "--json", "--top", "2", "dang ky ket hon")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) <= 2
    assert hits[0]["code"] == MARRIAGE["code"]
    assert set(hits[0]) == {"code", "name", "score"}


def test_search_command_with_a_unit_and_in_text(cli: Callable[..., tuple[int, str]]) -> None:
    code, out = cli("search", "--unit", "16225", "nhập hộ khẩu")
    assert code == 0
    assert out.splitlines()[0].startswith(RESIDENCE["code"])
    assert "xã giải quyết" in out
    code, out = cli("search", "xyzzy qwerty")
    assert code == 0 and "Không tìm thấy" in out
    code, out = cli("search", "--json", "xyzzy qwerty")
    assert code == 0 and json.loads(out) == []  # what the bot answers "không tìm thấy" to
    assert cli("search", "--unit", "00000", "kết hôn")[0] == 1


def test_eval_command_with_baselines(cli: Callable[..., tuple[int, str]], judgements: Path) -> None:
    code, out = cli("eval", str(judgements), "--baseline", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["n"] == 3 and report["top1"] == 1.0
    assert set(report) == {"n", "top1", "recall@3", "recall@5", "mrr@10", "baselines"} | NO_MATCH
    assert report["no_match_wrong"] == 0.0 and report["no_match_ok"] is None
    assert set(report["baselines"]) == {"fts5", "whoosh-standard"}
    assert report["baselines"]["fts5"]["top1"] < 1.0
    code, out = cli("eval", str(judgements))
    assert code == 0 and "mrr@10" in out and "fts5" not in out


def test_eval_counts_the_messages_that_must_get_no_answer(
    cli: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    lines = [*JUDGEMENTS, {"query": "qwzx plmokn vbyt", "relevant": []}]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(j, ensure_ascii=False) for j in lines), encoding="utf-8")
    code, out = cli("eval", str(path), "--json")
    report = json.loads(out)
    assert code == 0 and report["n"] == 3 and report["top1"] == 1.0  # over the answerable lines only
    assert (report["no_match_n"], report["no_match_ok"], report["no_match_wrong"]) == (1, 1.0, 0.0)
