"""`union-archive eval`: extraction scored on the zoo, or on saved real pages."""

from __future__ import annotations

import json
import sys

import click

from archive.evaluate.zoo import evaluate, format_report, http_fetch


@click.command("eval")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the full result (per document) as JSON here.",
)
@click.option("--site", "sites", multiple=True, help="Only score documents of these zoo sites.")
@click.option(
    "--pages",
    "pages_dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Score saved real pages instead (pages/*.html, gold/*.txt, titles.json).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="With --pages: write each extractor's text per page under this folder.",
)
@click.option("--no-baselines", is_flag=True, help="With --pages: score ours only.")
def eval_command(
    json_path: str | None,
    sites: tuple[str, ...],
    pages_dir: str | None,
    out_dir: str | None,
    no_baselines: bool,
) -> None:
    """Score extraction on the local portal zoo (or saved real pages) against gold."""
    if pages_dir:
        from archive.evaluate.realpages import pages_command

        return pages_command(pages_dir, json_path, out_dir, not no_baselines)
    from zoo import Zoo

    with Zoo() as zoo:
        truth = dict(zoo.truth)
        if sites:
            truth["documents"] = [d for d in truth["documents"] if d.get("site") in sites]
            truth["sites"] = {k: v for k, v in truth.get("sites", {}).items() if k in sites}
        res = evaluate(truth, http_fetch)
    click.echo(format_report(res))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(res, fh, ensure_ascii=False, indent=1)
    return res


if __name__ == "__main__":  # python -m cli.evaluate
    sys.exit(eval_command())
