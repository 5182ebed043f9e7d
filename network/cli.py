"""The NGO network's command line: ``tasharuk directory|partners|library|forum|users|tokens|
orgs``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from flask import current_app, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from data.clitools import ErrorMappingGroup
from data.db import db
from data.errors import BadInput, NotFound
from network import accounts, organizations, tokens

# --- directory ------------------------------------------------------------

directory_cli = ErrorMappingGroup("directory", help="Service directory maintenance.")


def _commit_and_report(counts: dict, line: str) -> None:
    """Commit a maintenance command's work, then print its counts (``line`` names them)."""
    db.session.commit()
    click.echo(line.format(**counts))


@directory_cli.command("remind-stale")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (YYYY-MM-DD).")
def remind_stale_cmd(today: dt.datetime | None) -> None:
    """Remind organisation admins of listings not verified for 180 days (once a week)."""
    from network.directory import remind_stale

    _commit_and_report(remind_stale(db.session, today.date() if today else None),
                       "organisations with stale listings: {organizations}, "
                       "people notified: {notified}")


@directory_cli.command("send-review-links")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (YYYY-MM-DD).")
def send_review_links_cmd(today: dt.datetime | None) -> None:
    """Send signed one-click review links for listings due for review (issue 22)."""
    from network.freshness import send_review_links

    _commit_and_report(send_review_links(db.session, current_app.config["SECRET_KEY"],
                                         today=today.date() if today else None),
                       "listings due for review: {services}, links sent: {links}")


@directory_cli.command("refresh-ranking")
def refresh_ranking_cmd() -> None:
    """Recompute the referral-outcome terms of the search ranking (cron: e.g. nightly)."""
    from referral.ranking import refresh_ranking

    _commit_and_report(refresh_ranking(db.session), "services: {services}, source: {source}, "
                       "new providers (cold start): {cold_start}")


@directory_cli.command("refresh-search-text")
def refresh_search_text_cmd() -> None:
    """Rebuild the words every organisation and service is found by (data.searchtext)."""
    from data.searchtext import refresh_all

    _commit_and_report(refresh_all(db.session),
                       "texts rebuilt: organisations {organizations}, services {services}")


@directory_cli.command("refresh-search-rows")
def refresh_search_rows_cmd() -> None:
    """Rewrite the sites' and coverage rows' copies of their services' values where they
    differ (after a load or restore that bypassed the triggers; normally none)."""
    from data.searchrows import refresh_search_rows

    _commit_and_report(refresh_search_rows(db.session),
                       "search rows rewritten: sites {service_site}, coverage {service_coverage}")


# --- partners ------------------------------------------------------------

class _PartnersGroup(ErrorMappingGroup):
    """``partners ORG`` runs the ``suggest`` subcommand; named subcommands run as usual."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["suggest", *args]
        return super().parse_args(ctx, args)


partners_cli = _PartnersGroup("partners", help="Complementary partner suggestions "
                              "(ORG: id or acronym) and the referral acceptance model.")


@partners_cli.command("suggest")
@click.argument("org")
@click.option("--top", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--area", default=None, help="Only reach inside this p-code.")
@click.option("--group", default=None, help="Only this target group code.")
@click.option("--sector", default=None, help="Only partners offering this sector.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--lang", type=click.Choice(["ar", "en"]), default="en",
              help="Language of the reasons in the table.")
def suggest_cmd(org: str, top: int, area: str | None, group: str | None,
                sector: str | None, fmt: str, lang: str) -> None:
    """The TOP complementary partners of ORG with their reasons (unknown ORG: exit 2)."""
    from network.partners import suggestions

    organization, found = suggestions(db.session, org, top=top, area=area, group=group,
                                      sector=sector)
    if fmt == "json":
        click.echo(json.dumps({"organization": {"id": organization.id,
                                                "name_ar": organization.name_ar,
                                                "name_en": organization.name_en},
                               "suggestions": [s.to_dict() for s in found]},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"{organization.name(lang)} ({organization.acronym or organization.id}): "
               f"{len(found)} suggestion(s)")
    for rank, s in enumerate(found, 1):
        o = s.organization
        click.echo(f"{rank:>2}. {o.name(lang)} [{o.acronym or o.id}]  score {s.score:.3f}  "
                   f"reach {s.reach:.2f}  complementarity {s.complementarity:.2f}  "
                   f"duplication {s.duplication:.2f}")
        for reason in s.reasons[lang]:
            click.echo(f"      - {reason}")


@partners_cli.command("train-acceptance")
@click.option("--method", type=click.Choice(["logistic", "boosting"]), default="logistic")
@click.option("--test-fraction", type=click.FloatRange(0.05, 0.5), default=0.25,
              show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def train_acceptance_cmd(method: str, test_fraction: float, fmt: str) -> None:
    """Fit the referral acceptance model on the earlier history; report AUC on the rest."""
    from referral.acceptance import train_acceptance

    report = train_acceptance(db.session, method=method, test_fraction=test_fraction)
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"method {report['method']}: trained on {report['n_train']} referrals until "
               f"{report['train_until']}, tested on {report['n']} from {report['test_from']}")
    click.echo(f"ROC AUC {report['auc']:.3f}  log-loss {report['log_loss']:.3f} "
               f"(base rate {report['baseline_log_loss']:.3f})  Brier {report['brier']:.3f} "
               f"(base rate {report['baseline_brier']:.3f})  "
               f"new providers {report['cold_start_share']:.0%}")


# --- library ------------------------------------------------------------

library_cli = ErrorMappingGroup("library", help="The library of laws, decisions and circulars.")
forum_cli = ErrorMappingGroup("forum", help="The organisations' forum.")


@library_cli.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_cmd(folder: Path) -> None:
    """Load FOLDER/metadata.csv and the files it names: every row, or nothing (exit 2)."""
    from data.attachments import DEFAULT_MAX_BYTES
    from network.library import import_folder

    cfg = current_app.config
    try:
        counts = import_folder(db.session, folder, None,
                               max_bytes=int(cfg.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)),
                               upload_folder=cfg["UPLOAD_FOLDER"])
    except Exception:
        db.session.rollback()
        raise
    _commit_and_report(counts, "documents: {documents}, files: {files}")


@forum_cli.command("seed")
def seed_cmd() -> None:
    """Create the forum categories (topical, per sector, per governorate); idempotent."""
    from network.forum import seed_categories

    added = seed_categories(db.session)
    db.session.commit()
    click.echo(f"categories added: {added}")


# --- accounts ------------------------------------------------------------

users_cli = ErrorMappingGroup("users", help="User accounts: create, set role, reset links.")
tokens_cli = ErrorMappingGroup("tokens", help="API tokens: create (secret shown once), revoke.")
orgs_cli = ErrorMappingGroup("orgs", help="Organisations: list pending, verify or reject.")


def _link(endpoint: str, **values) -> str:
    """An absolute link under BASE_URL (no request is active in a command)."""
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def _org_name(org) -> str:
    """The organisation's name in the command's language (the shell's)."""
    return org.name("ar" if str(get_locale() or "") == "ar" else "en")


def _user(email: str):
    user = accounts.find_user(db.session, email)
    if user is None:
        raise NotFound(_("No user with the email %(email)s.", email=email), field="email")
    return user


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--org", "org_ref", default=None, help="Id, acronym or registration number.")
@click.option("--role", required=True, help="platform_admin, org_admin, caseworker, planner "
                                             "or viewer.")
@click.option("--password", default=None, help="Without it, a reset link is printed.")
@click.option("--name", default="")
def users_create(email: str, org_ref: str | None, role: str, password: str | None,
                 name: str) -> None:
    """Create a user in an organisation with a role."""
    org = accounts.find_organization(db.session, org_ref) if org_ref else None
    user = accounts.create_user(db.session, email=email, role=role, organization=org,
                                password=password, name=name)
    db.session.commit()
    click.echo(_("User %(id)s created: %(email)s (%(role)s).", id=user.id, email=user.email,
                 role=user.role))
    if password is None:
        click.echo(_("Set a password with: %(link)s", link=_link(
            "auth.reset", token=accounts.reset_token(user, current_app.secret_key))))


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role")
def users_set_role(email: str, role: str) -> None:
    """Give the user with EMAIL the role ROLE (audited); a change ends their signed-in
    sessions, and the command says how many."""
    user = _user(email)
    before = user.role
    ended = accounts.set_role(db.session, user, role)
    db.session.commit()
    if before == user.role:
        click.echo(_("%(email)s has the role %(role)s already.", email=user.email,
                     role=user.role))
    else:
        click.echo(_("%(email)s now has the role %(role)s (it was %(before)s).",
                     email=user.email, role=user.role, before=before))
        click.echo(ngettext("%(email)s: %(num)d session ended",
                            "%(email)s: %(num)d sessions ended", ended, email=user.email))


@users_cli.command("sign-out")
@click.argument("email")
def users_sign_out(email: str) -> None:
    """End every signed-in session of the user with EMAIL (audited)."""
    from network.sessions import end_sessions

    count = end_sessions(db.session, _user(email), "ended_by_admin", audit=True)
    db.session.commit()
    click.echo(ngettext("%(email)s: %(num)d session ended", "%(email)s: %(num)d sessions ended",
                        count, email=email))


@users_cli.command("purge-sessions")
def users_purge_sessions() -> None:
    """Delete sign-in sessions that ended or expired and login-throttle rows quiet for a day
    (the worker does it nightly); print how many of each, as JSON."""
    from network import sessions, throttle

    done = {"sessions": sessions.purge(db.session, sessions.Lifetimes.from_config(
        current_app.config)), "login_throttle": throttle.purge(db.session)}
    db.session.commit()
    click.echo(json.dumps(done))


@users_cli.command("reset-link")
@click.argument("email")
def users_reset_link(email: str) -> None:
    """Print a password-reset link for EMAIL (for servers without email)."""
    user = _user(email)
    if not user.active:
        raise NotFound(_("The account %(email)s is deactivated.", email=email), field="email")
    click.echo(_link("auth.reset", token=accounts.reset_token(user, current_app.secret_key)))


@users_cli.command("invite")
@click.option("--email", required=True)
@click.option("--org", "org_ref", required=True)
@click.option("--role", required=True)
def users_invite(email: str, org_ref: str, role: str) -> None:
    """Print an invitation link to join an organisation with a role."""
    org = accounts.find_organization(db.session, org_ref)
    accounts.invite(db.session, org, email, role)
    db.session.commit()
    click.echo(_link("auth.accept_invitation", token=accounts.invitation_token(
        current_app.secret_key, org, email, role)))


@tokens_cli.command("create")
@click.option("--org", "org_ref", required=True)
@click.option("--role", required=True)
@click.option("--name", default="")
@click.option("--days", type=int, default=None, help="Expire after DAYS days (default: never).")
def tokens_create(org_ref: str, role: str, name: str, days: int | None) -> None:
    """Create an API token and print its secret (the only time it is shown)."""
    org = accounts.find_organization(db.session, org_ref)
    token, secret = tokens.create_token(db.session, org, role, name=name, days=days)
    db.session.commit()
    click.echo(_("Token %(id)s created (%(role)s, %(org)s); its secret, shown this once:",
                 id=token.id, role=token.role, org=_org_name(org)), err=True)
    click.echo(secret)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke the API token TOKEN_ID."""
    token = tokens.revoke_token(db.session, token_id, organization_id=None)
    db.session.commit()
    click.echo(_("Token %(id)s revoked.", id=token.id))


@orgs_cli.command("pending")
def orgs_pending() -> None:
    """List organisations waiting for verification."""
    for org in organizations.pending(db.session):
        click.echo(f"{org.id}\t{org.registration_number or ''}\t{org.name_en}\t{org.name_ar}")


@orgs_cli.command("verify")
@click.argument("org_ref")
@click.option("--reject", is_flag=True, help="Reject instead of verifying.")
@click.option("--suspend", is_flag=True,
              help="Suspend instead of verifying (its members are signed out, the open "
                   "referrals it received go back to their senders).")
@click.option("--reason", default="", help="Required with --reject or --suspend.")
def orgs_verify(org_ref: str, reject: bool, suspend: bool, reason: str) -> None:
    """Verify the organisation ORG (id, acronym or registration number), or reject or
    suspend it."""
    if reject and suspend:
        raise BadInput(_("Give --reject or --suspend, not both."), field="suspend")
    org = accounts.find_organization(db.session, org_ref)
    organizations.decide(db.session, org, verify=not (reject or suspend), suspend=suspend,
                         reason=reason)
    db.session.commit()
    said = {"verified": _("%(org)s is verified."), "rejected": _("%(org)s was rejected."),
            "suspended": _("%(org)s is suspended.")}[org.verification]
    click.echo(said % {"org": _org_name(org)})
