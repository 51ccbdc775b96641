"""The storage contract, run against every engine (SQLite and PostgreSQL).

As aiogram's storage tests do it: one suite, parametrized over backends; a backend that
behaves differently fails here, not in production.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.invites import InviteProblem, display_code, normalize_code
from storage.models import Invite, Member, OutboxStatus
from storage.outbox import LEASE, MAX_ATTEMPTS
from storage.repos import Repos

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def test_org_tree_and_subtree(db: Database) -> None:
    async def work(s: object) -> None:
        r = Repos(s)  # type: ignore[arg-type]
        city = await r.orgs.create("市委", kind="city")
        county = await r.orgs.create("县委", kind="county", parent_id=city.id)
        unit = await r.orgs.create("规划局", kind="unit", parent_id=county.id)
        other = await r.orgs.create("别的市", kind="city")
        assert sorted(await r.orgs.subtree_ids(city.id)) == sorted([city.id, county.id, unit.id])
        assert await r.orgs.subtree_ids(other.id) == [other.id]
        assert await r.orgs.count() == 4

    await db.run(work)


async def test_stage_calendar_overlap_and_inheritance(db: Database) -> None:
    async def work(s: object) -> None:
        r = Repos(s)  # type: ignore[arg-type]
        county = await r.orgs.create("县委", kind="county")
        unit = await r.orgs.create("规划局", kind="unit", parent_id=county.id)
        await r.orgs.set_stage(county.id, "study", date(2026, 10, 1), date(2026, 12, 15))
        await r.orgs.set_stage(county.id, "examine", date(2026, 12, 1), date(2027, 1, 31))
        assert (await r.orgs.current_stage(unit.id, date(2026, 11, 1))).stage == "study"
        assert (await r.orgs.current_stage(unit.id, date(2026, 12, 5))).stage == "examine"
        assert await r.orgs.current_stage(unit.id, date(2026, 9, 1)) is None
        await r.orgs.set_stage(unit.id, "study", date(2026, 10, 10), date(2026, 11, 30))
        assert (await r.orgs.current_stage(unit.id, date(2026, 12, 5))) is None
        await r.orgs.set_stage(unit.id, "study", date(2026, 10, 10), date(2026, 12, 30))
        assert len(await r.orgs.stages(unit.id)) == 1
        with pytest.raises(ValueError):
            await r.orgs.set_stage(unit.id, "rectify", date(2027, 2, 1), date(2027, 1, 1))

    await db.run(work)


async def test_members_identities_and_uniqueness(db: Database) -> None:
    async def setup(s: object) -> tuple[int, int]:
        r = Repos(s)  # type: ignore[arg-type]
        org = await r.orgs.create("规划局", kind="unit")
        dept = await r.orgs.department(org.id, "办公室")
        assert (await r.orgs.department(org.id, "办公室")).id == dept.id
        member = await r.members.add(
            Member(org_id=org.id, name="张三", phone="13800000000", department_id=dept.id)
        )
        identity = await r.members.bind("telegram", "1001", member)
        await r.members.bind("webchat", "abc", member)
        assert (await r.members.identity("telegram", "1001")).member_id == member.id
        assert await r.members.identity("telegram", "1002") is None
        assert member.last_channel == "webchat"
        assert len(await r.members.identities(member.id)) == 2
        assert (await r.members.find(org.id, phone="13800000000")).id == member.id
        assert await r.members.count_in_org(org.id) == 1
        await r.members.mark_unreachable(identity.id)
        return org.id, member.id

    org_id, member_id = await db.run(setup)

    async def duplicate_phone(s: object) -> None:
        await Repos(s).members.add(  # type: ignore[arg-type]
            Member(org_id=org_id, name="李四", phone="13800000000")
        )

    with pytest.raises(IntegrityError):
        await db.run(duplicate_phone)

    async def duplicate_identity(s: object) -> None:
        r = Repos(s)  # type: ignore[arg-type]
        other = await r.members.add(Member(org_id=org_id, name="王五"))
        await r.members.bind("telegram", "1001", other)

    with pytest.raises(IntegrityError):
        await db.run(duplicate_identity)

    async def check(s: object) -> None:
        r = Repos(s)  # type: ignore[arg-type]
        assert [m.name for m in await r.members.in_org(org_id)] == ["张三"]  # nothing half-written
        identity = await r.members.identity("telegram", "1001")
        assert identity.reachable is False
        await r.members.seen(identity, await r.members.get(member_id))
        assert identity.reachable is True

    await db.run(check)


async def test_invites_check_and_use(db: Database) -> None:
    async def work(s: object) -> None:
        r = Repos(s)  # type: ignore[arg-type]
        org = await r.orgs.create("规划局", kind="unit")
        once = await r.invites.create(Invite(code="", org_id=org.id, role="member", max_uses=1))
        assert normalize_code(display_code(once.code).lower()) == once.code
        assert (await r.invites.check(once.code, NOW)).problem is None
        await r.invites.use(once)
        assert (await r.invites.check(once.code, NOW)).problem == InviteProblem.used_up
        late = await r.invites.create(
            Invite(code="", org_id=org.id, role="member", expires_at=NOW - timedelta(days=1))
        )
        assert (await r.invites.check(late.code, NOW)).problem == InviteProblem.expired
        gone = await r.invites.create(Invite(code="", org_id=org.id, role="admin", revoked=True))
        assert (await r.invites.check(gone.code, NOW)).problem == InviteProblem.revoked
        assert (await r.invites.check("0000000000", NOW)).problem == InviteProblem.unknown

    await db.run(work)


def test_invite_code_normalization() -> None:
    assert normalize_code(" 7k3f9-qxd2m ") == "7K3F9QXD2M"
    assert normalize_code("7K3F9QXD2O") == "7K3F9QXD20"  # O read as zero
    assert normalize_code("7K3F9QXD2") is None
    assert normalize_code("7K3F9QXD2U") is None  # U is not in Crockford's alphabet
    assert normalize_code("你好你好你好你好你好") is None


async def test_dialogue_state_round_trip(db: Database) -> None:
    async def save(s: object) -> None:
        await Repos(s).dialogue.save(  # type: ignore[arg-type]
            "telegram",
            "42",
            feature="join",
            step="name",
            data={"invite": 7, "text": "意见 ✓ \u202e"},
            language="en",
        )

    await db.run(save)

    async def load(s: object) -> None:
        r = Repos(s)  # type: ignore[arg-type]
        row = await r.dialogue.load("telegram", "42")
        assert (row.feature, row.step, row.language) == ("join", "name", "en")
        assert row.data == {"invite": 7, "text": "意见 ✓ \u202e"}
        assert row.updated_at.tzinfo is not None
        await r.dialogue.save("telegram", "42", feature=None, step=None, data={}, language="en")
        assert await r.dialogue.load("telegram", "nobody") is None

    await db.run(load)


async def test_outbox_dedupe_claim_lease_and_finish(db: Database) -> None:
    async def setup(s: object) -> int:
        r = Repos(s)  # type: ignore[arg-type]
        org = await r.orgs.create("规划局", kind="unit")
        member = await r.members.add(Member(org_id=org.id, name="张三"))
        for n in range(3):
            await r.outbox.enqueue(member.id, "test", [{"text": f"m{n}"}], dedupe_key=f"k{n}")
        await r.outbox.enqueue(member.id, "test", [{"text": "again"}], dedupe_key="k0")
        await r.outbox.enqueue(
            member.id, "test", [{"text": "later"}], not_before=NOW + timedelta(days=3650)
        )
        return member.id

    await db.run(setup)

    claimed = await db.run(lambda s: Repos(s).outbox.claim(10))
    assert [row.payload[0]["text"] for row in claimed] == ["m0", "m1", "m2"]
    assert await db.run(lambda s: Repos(s).outbox.claim(10)) == []  # leased, not due again
    first, second, third = (row.id for row in claimed)

    async def outcomes(s: object) -> dict[str, int]:
        r = Repos(s)  # type: ignore[arg-type]
        await r.outbox.finish(first, OutboxStatus.sent, channel="telegram")
        await r.outbox.retry_later(second, 0, "timeout")
        for _ in range(MAX_ATTEMPTS):
            await r.outbox.retry_later(third, 0, "timeout")
        return await r.outbox.counts("test")

    assert await db.run(outcomes) == {"sent": 1, "queued": 2, "failed": 1}
    retried = await db.run(lambda s: Repos(s).outbox.claim(10))
    assert [row.id for row in retried] == [second]
    after_lease = datetime.now(UTC) + LEASE + timedelta(seconds=1)
    again = await db.run(lambda s: Repos(s).outbox.claim(10, now=after_lease))
    assert [row.id for row in again] == [second]  # a dead deliverer's lease runs out


async def test_audit_log(db: Database) -> None:
    async def work(s: object) -> None:
        r = Repos(s)  # type: ignore[arg-type]
        org = await r.orgs.create("规划局", kind="unit")
        await r.audit.record("cli", "org.create", org_id=org.id, name="规划局")
        await r.audit.record("cli", "other")
        entries = await r.audit.recent([org.id])
        assert [(e.actor, e.action, e.detail) for e in entries] == [
            ("cli", "org.create", {"name": "规划局"})
        ]
        assert len(await r.audit.recent()) == 2

    await db.run(work)
