"""The long texts of a procedure (steps, conditions, agencies, law) found at a low weight, every
term's weights kept beside the whoosh index, and the short texts weighed as whoosh weighs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import TEXT, Schema
from whoosh.scoring import BM25F

from index.analysis import syllables
from index.building import Stamp, build_index, read_stamp
from index.fulltext import K1, B, FullText
from index.service import SearchService
from index.weights import WEIGHTS_FILE, TermWeights
from knowledge.catalogue import apply_catalogue
from tests.factories import answering, catalogue, procedure_record, search_service

DAM = procedure_record(
    code="1.003221",
    name="Kiểm định an toàn đập, hồ chứa thủy lợi",
    field="Thủy lợi",
    levels=["tinh"],
    steps=["Bước 1: Chủ đập gửi hồ sơ đề nghị kiểm định đột xuất đến Sở Nông nghiệp và Môi trường"],
)
RESERVOIR = procedure_record(
    code="1.003471",
    name="Phê duyệt phương án bảo vệ đập, hồ chứa thủy lợi",
    field="Thủy lợi",
    levels=["tinh"],
)
LAWYER = procedure_record(
    code="1.002055",
    name="Đăng ký hoạt động của văn phòng luật sư",
    field="Luật sư",
    levels=["tinh"],
    conditions="Trưởng văn phòng phải có ít nhất hai năm hành nghề liên tục",
)
ARBITRATION = procedure_record(
    code="1.001609",
    name="Đăng ký hoạt động của trung tâm trọng tài",
    field="Trọng tài",
    levels=["tinh"],
    implementing_agency="Sở Tư pháp",
)


@pytest.fixture
def service(session_factory: sessionmaker[Session], tmp_path: Path) -> SearchService:
    return search_service(session_factory, tmp_path / "index", DAM, RESERVOIR, LAWYER, ARBITRATION)


@pytest.mark.parametrize(
    ("query", "record"),
    [
        ("kiểm định đột xuất đập hồ chứa", DAM),  # a step, not the name
    ],
)
def test_the_long_texts_break_ties_between_alike_names(
    service: SearchService, query: str, record: dict[str, object]
) -> None:
    assert service.search(query).hits[0].code == record["code"]


def built(session_factory: sessionmaker[Session], index_dir: Path) -> Stamp:
    """The index of a catalogue of the dam and the lawyers' office, built in ``index_dir``."""
    with session_factory.begin() as session:
        apply_catalogue(session, catalogue(DAM, LAWYER), "test")
    return build_index(session_factory, index_dir)


def test_weights_are_saved_beside_the_whoosh_index(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    stamp = built(session_factory, tmp_path)
    assert read_stamp(tmp_path) == stamp
    weights = TermWeights.load(tmp_path / stamp.build)
    assert weights.codes == ["1.002055", "1.003221"]
    assert {"steps_f", "documents_p", "name_w", "name_f", "name_p"} <= weights.fields
    assert weights.get("steps_f", "dot")[0].tolist() == [1]
    assert weights.get("steps_f", "nowhere")[0].size == 0
    docs, name_weights = weights.get("name_f", "luat")
    assert docs.tolist() == [0] and name_weights[0] > 0  # the lawyers' office, first by code
    assert weights.doc_frequency("name_f", "dang") == 1 and weights.doc_frequency("name_f", "zzz") == 0


def test_weights_follow_bm25() -> None:
    texts = [{"steps": "nộp hồ sơ hồ sơ"}, {"steps": "nộp hồ sơ tại sở tư pháp nơi cư trú"}, {"steps": ""}]
    fulltext = FullText.build(["a", "b", "c"], texts, {"steps_f": syllables})
    docs, weights = fulltext.weights("steps_f", "ho")
    (first, second), (in_a, in_b) = docs.tolist(), weights.tolist()
    assert (first, second) == (0, 1)
    assert in_a > in_b > 0  # more often, in a shorter text
    rare = dict(zip(*(values.tolist() for values in fulltext.weights("steps_f", "tu")), strict=True))
    assert rare[1] > in_b  # a rarer term weighs more


def test_short_texts_are_weighed_as_whoosh_weighs_them(tmp_path: Path) -> None:
    """The same floats as whoosh's own BM25F scorer over a whoosh index of the same texts, field
    lengths rounded as whoosh stores them (long texts lose precision: 1, 7, 60, 300 syllables)."""
    texts = [
        {"name": "ho"},
        {"name": "cap ho chieu pho thong lan dau"},
        {"name": " ".join(["ho so"] * 30)},
        {"name": " ".join(["cap giay phep xay dung ho"] * 50)},
        {"name": ""},
    ]
    ours = FullText.build(
        [str(n) for n in range(len(texts))], texts, {"name_f": syllables}, whoosh_lengths=True
    )
    ix = whoosh_index.create_in(
        str(tmp_path), Schema(name_f=TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False))
    )
    with ix.writer() as writer:
        for text in texts:
            writer.add_document(name_f=text["name"])
    with ix.searcher(weighting=BM25F(B=B, K1=K1)) as searcher:
        for term in ("ho", "cap", "so", "lan"):
            scorer = searcher.weighting.scorer(searcher, "name_f", term)
            matcher = searcher.reader().postings("name_f", term)
            theirs: list[tuple[int, float]] = []
            while matcher.is_active():
                theirs.append((matcher.id(), scorer.score(matcher)))
                matcher.next()
            docs, weights = ours.weights("name_f", term)
            assert list(zip(docs.tolist(), weights.tolist(), strict=True)) == theirs


def test_unreadable_weights_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unreadable"):
        TermWeights.load(tmp_path)  # missing
    (tmp_path / WEIGHTS_FILE).write_bytes(b"garbage")
    with pytest.raises(ValueError, match="unreadable"):
        TermWeights.load(tmp_path)


def test_an_index_without_weights_is_rebuilt(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    """An index built before the weights were kept (or with them lost) is rebuilt when opened."""
    stamp = built(session_factory, tmp_path)
    (tmp_path / stamp.build / WEIGHTS_FILE).unlink()
    service = SearchService(session_factory, tmp_path, model=answering())
    assert service.search("kiểm định đột xuất đập").hits[0].code == DAM["code"]
    rebuilt = read_stamp(tmp_path)
    assert rebuilt is not None and rebuilt.build != stamp.build
