"""All ORM models (SQLAlchemy 2 typed, GeoAlchemy2). Import from here."""

from .accounts import READER_ROLES, ROLES, STAFF_ROLES, AuditLog, Notification, User
from .activity import AGE_SEX_COLUMNS, Activity, ImportBatch, Need, UnmetSearch
from .base import Base
from .consent import CONSENT_METHODS, ConsentRecord
from .focal import FOCAL_STATES, FocalPoint, FocalRequest
from .forum import (
    CATEGORY_KINDS,
    ForumCategory,
    ForumFollow,
    ForumMention,
    ForumPost,
    ForumReport,
    ForumThread,
)
from .geo import AdminArea
from .jobs import JobError
from .library import DOC_KINDS, DOC_STATUSES, TOPICS, Attachment, LibraryDocument, TopicFollow
from .org import ORG_TYPES, VERIFICATION_STATES, Organization, OrganizationAlias
from .partners import (
    PARTNERSHIP_STATES,
    REQUEST_STATES,
    Partnership,
    PartnershipRequest,
    PathwayRequest,
)
from .ranking import ProviderRanking, SearchWord
from .referral import (
    CONSENT_SCOPES,
    CONTACT_CHANNELS,
    REASONS,
    REFERRAL_STATES,
    SYSTEM_REASONS,
    URGENCIES,
    Case,
    GlassAccess,
    Referral,
    ReferralEvent,
)
from .review import (
    REPORT_KINDS,
    REPORT_STATES,
    REVIEW_ANSWERS,
    ChangeLog,
    FeedbackCode,
    ReviewLink,
    ServiceFeedback,
    ServiceReport,
)
from .service import (
    AVAILABILITY,
    COSTS,
    FRONT_GATES,
    MODALITIES,
    REFERRAL_METHODS,
    REVIEW_CADENCES,
    SEXES,
    STATUSES,
    OpeningPeriod,
    Service,
    ServiceSite,
    service_coverage,
    service_target_group,
)
from .sessions import LoginThrottle, UserSession
from .submission import Submission
from .taxonomy import Sector, ServiceType, TargetGroup
from .tokens import ApiToken
from .webhooks import DELIVERY_STATES, Webhook, WebhookDelivery

__all__ = [
    "CATEGORY_KINDS", "DOC_KINDS", "DOC_STATUSES", "TOPICS", "Attachment", "ForumCategory",
    "GlassAccess", "LoginThrottle", "UserSession", "REVIEW_ANSWERS", "REVIEW_CADENCES",
    "ReviewLink", "REPORT_KINDS", "REPORT_STATES", "ServiceReport", "ChangeLog",
    "FeedbackCode", "ServiceFeedback", "ConsentRecord",
    "DELIVERY_STATES", "Webhook", "WebhookDelivery",
    "FOCAL_STATES", "FocalPoint", "FocalRequest",
    "ForumFollow", "ForumMention", "ForumPost", "ForumReport", "ForumThread", "LibraryDocument",
    "TopicFollow",
    "AGE_SEX_COLUMNS", "AVAILABILITY", "CONSENT_METHODS", "CONSENT_SCOPES", "CONTACT_CHANNELS",
    "COSTS", "FRONT_GATES", "MODALITIES", "ORG_TYPES", "REASONS",
    "READER_ROLES", "REFERRAL_METHODS", "REFERRAL_STATES", "SYSTEM_REASONS", "ROLES",
    "STAFF_ROLES", "SEXES", "STATUSES",
    "URGENCIES",
    "VERIFICATION_STATES", "Activity", "ApiToken", "AdminArea", "AuditLog", "Base", "Case", "Need",
    "ImportBatch",
    "Notification", "OpeningPeriod", "Organization", "OrganizationAlias", "Referral",
    "ReferralEvent", "Submission", "Sector", "Service", "ServiceSite", "ServiceType",
    "TargetGroup",
    "UnmetSearch", "User", "service_coverage", "service_target_group",
    "PARTNERSHIP_STATES", "REQUEST_STATES", "Partnership", "PartnershipRequest", "PathwayRequest",
    "ProviderRanking",
    "SearchWord",
    "JobError",
]
