"""``tasharuk partners ORG [--top K] [--format table|json]`` and
``tasharuk partners train-acceptance``."""

from __future__ import annotations

import json

import click
from flask import Flask

from data.clitools import ErrorMappingGroup
from data.db import db


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
    from .partners import suggestions

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
    from .acceptance import train_acceptance

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


def register(app: Flask) -> None:
    """Mount ``tasharuk partners``."""
    app.cli.add_command(partners_cli)
