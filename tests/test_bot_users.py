from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.models import ChatUser, Era, Unit, UnitKind
from knowledge.users import (
    MAX_LAST_RESULTS,
    find_user,
    get_user,
    pending_of,
    set_commune,
    set_last_results,
    set_pending,
    user_unit,
)


def commune(session: Session, code: str = "26734", name: str = "Xã Cát Vân") -> Unit:
    unit = Unit(era=Era.TWO_TIER, code=code, name=name, kind=UnitKind.COMMUNE, province_code="38")
    session.add(unit)
    session.flush()
    return unit


def test_first_contact_creates_the_user_once(session: Session) -> None:
    assert find_user(session, 42) is None
    first = get_user(session, 42)
    again = get_user(session, 42)
    assert first is again
    assert session.scalar(select(func.count()).select_from(ChatUser)) == 1
    assert first.unit is None and first.last_results == [] and first.pending == {}


def test_state_survives_a_restart(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        unit = commune(session)
        user = get_user(session, 7)
        set_pending(user, {"await": "commune"})
        set_commune(user, unit)
        set_last_results(user, ["1.001193", "2.000815"])
    with session_factory() as session:  # a new session: what a restarted bot sees
        restored = user_unit(session, 7)
        assert restored is not None and restored.name == "Xã Cát Vân"
        found = find_user(session, 7)
        assert found is not None and found.last_results == ["1.001193", "2.000815"]
        assert pending_of(session, 7) == {}  # choosing the commune settled the question


def test_pending_is_set_and_cleared(session: Session) -> None:
    user = get_user(session, 5)
    set_pending(user, {"await": "commune"})
    session.flush()
    assert pending_of(session, 5) == {"await": "commune"}
    set_pending(user, {})
    assert pending_of(session, 5) == {}
    assert pending_of(session, 6) == {}  # unknown users wait for nothing


def test_last_results_are_capped(session: Session) -> None:
    codes = [f"1.{n:06d}" for n in range(MAX_LAST_RESULTS + 5)]
    assert set_last_results(get_user(session, 9), codes).last_results == codes[:MAX_LAST_RESULTS]


def test_changing_commune_replaces_the_old_one(session: Session) -> None:
    first, second = commune(session), commune(session, "26735", "Phường Hồng Hà")
    user = get_user(session, 3)
    set_commune(user, first)
    set_commune(user, second)
    session.flush()
    unit = user_unit(session, 3)
    assert unit is not None and unit.code == "26735"


def test_setting_what_is_already_there_writes_nothing(session: Session) -> None:
    unit = commune(session)
    user = get_user(session, 11)
    set_commune(user, unit)
    set_last_results(user, ["1.001193"])
    session.flush()
    set_commune(user, unit)
    set_last_results(user, ["1.001193"])
    set_pending(user, {})
    assert not session.dirty
    set_last_results(user, ["1.000894"])
    assert user in session.dirty
