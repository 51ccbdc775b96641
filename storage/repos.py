"""All repositories bound to one transaction, handed to the code that needs them."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import AuditRepo
from storage.dialogue import DialogueRepo
from storage.files import FileRepo
from storage.invites import InviteRepo
from storage.ledger import LedgerRepo
from storage.members import MemberRepo
from storage.opinions import OpinionRepo
from storage.orgs import OrgRepo
from storage.outbox import OutboxRepo
from storage.study import StudyRepo
from storage.surveys import SurveyRepo


class Repos:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.orgs = OrgRepo(session)
        self.members = MemberRepo(session)
        self.invites = InviteRepo(session)
        self.dialogue = DialogueRepo(session)
        self.audit = AuditRepo(session)
        self.outbox = OutboxRepo(session)
        self.opinions = OpinionRepo(session)
        self.study = StudyRepo(session)
        self.ledger = LedgerRepo(session)
        self.surveys = SurveyRepo(session)
        self.files = FileRepo(session)
