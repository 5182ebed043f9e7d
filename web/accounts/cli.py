"""``tasharuk users|tokens|orgs ...``: accounts, API tokens and verification from the shell.

Errors (unknown organisation, role, email...) print a message and exit with status 2.
"""

from __future__ import annotations

import click
from flask import Flask, current_app, url_for
from flask_babel import gettext as _

from data.clitools import ErrorMappingGroup
from data.db import db
from data.errors import NotFound
from referral import accounts, organizations, tokens

users_cli = ErrorMappingGroup("users", help="User accounts: create, set role, reset links.")
tokens_cli = ErrorMappingGroup("tokens", help="API tokens: create (secret shown once), revoke.")
orgs_cli = ErrorMappingGroup("orgs", help="Organisations: list pending, verify or reject.")


def _link(endpoint: str, **values) -> str:
    """An absolute link under BASE_URL (no request is active in a command)."""
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


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
    click.echo(f"user {user.id} {user.email} ({user.role})")
    if password is None:
        click.echo("set a password with: " + _link(
            "auth.reset", token=accounts.reset_token(user, current_app.secret_key)))


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role")
def users_set_role(email: str, role: str) -> None:
    """Give the user with EMAIL the role ROLE (audited)."""
    user = accounts.set_role(db.session, _user(email), role)
    db.session.commit()
    click.echo(f"{user.email}: {user.role}")


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
    click.echo(f"token {token.id} ({token.role}, {org.name_en})", err=True)
    click.echo(secret)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke the API token TOKEN_ID."""
    token = tokens.revoke_token(db.session, token_id, organization_id=None)
    db.session.commit()
    click.echo(f"token {token.id} revoked")


@orgs_cli.command("pending")
def orgs_pending() -> None:
    """List organisations waiting for verification."""
    for org in organizations.pending(db.session):
        click.echo(f"{org.id}\t{org.registration_number or ''}\t{org.name_en}\t{org.name_ar}")


@orgs_cli.command("verify")
@click.argument("org_ref")
@click.option("--reject", is_flag=True, help="Reject instead of verifying.")
@click.option("--reason", default="", help="Required with --reject.")
def orgs_verify(org_ref: str, reject: bool, reason: str) -> None:
    """Verify the organisation ORG (id, acronym or registration number), or reject it."""
    org = accounts.find_organization(db.session, org_ref)
    organizations.decide(db.session, org, verify=not reject, reason=reason)
    db.session.commit()
    click.echo(f"{org.name_en}: {org.verification}")


def register(app: Flask) -> None:
    """Mount the account commands on the app's CLI."""
    for group in (users_cli, tokens_cli, orgs_cli):
        app.cli.add_command(group)
