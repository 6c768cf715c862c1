from app.models.audit import AuditEvent  # noqa: F401
from app.models.cases import (  # noqa: F401
    Case,
    CaseAccessLog,
    CaseLink,
    CaseNumberSequence,
    OutboxMessage,
)
from app.models.casework import Attachment, CaseComment, Substitute  # noqa: F401
from app.models.ej_verkstallt import EjVerkstalltBeslut, EjVerkstalltHandelse, IvoKvartalsrapport  # noqa: F401
from app.models.goals import Goal, Indicator, IndicatorValue, SurveyResult  # noqa: F401
from app.models.kontrollplan import KontrollPoint  # noqa: F401
from app.models.monster import PatternSignal, PatternSignalCase  # noqa: F401
from app.models.operations import GallringLog, Heartbeat  # noqa: F401
from app.models.organisation import ApiToken, OrganisationRevision, RoleAssignment, Unit, User  # noqa: F401
from app.models.pdca import PdcaTurn  # noqa: F401
from app.models.process import DeployedProcess, ProcessInstance, ProcessSpec, Task, Timer  # noqa: F401
from app.models.reports import ReportText  # noqa: F401
from app.models.search import CaseSearch, SavedFilter  # noqa: F401
from app.models.security import LoginThrottle, UserSession  # noqa: F401
from app.models.utredning import Investigation  # noqa: F401
