import re
import string
from pathlib import Path

from microau.plan import results as paths

REPO = Path(__file__).resolve().parents[2]
CODE = re.compile(r"`([^`]+)`")


def stages_rows() -> list[list[str]]:
    """The cells of every row of ARCHITECTURE.md's Stages tables (the section up to the next heading)."""
    text = (REPO / "ARCHITECTURE.md").read_text()
    section = text.split("\n## Stages\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| `")]
    assert rows and all(len(cells) == 5 for cells in rows)
    return rows


def written(cell: str) -> list[tuple[str, str]]:
    """(pattern, owner) of a writes cell: a `results/.../` folder names the files after it, an
    owner module (`.py`) in brackets follows the files it owns."""
    folder, pending, files = "", [], []
    for token in CODE.findall(cell):
        if token.endswith(".py"):
            files += [(pattern, token) for pattern in pending]
            pending = []
        elif token.startswith("results/") and token.endswith("/"):
            folder = token
        else:
            assert token.startswith("results/") or folder, f"{token} names no folder"
            pending.append(token if token.startswith("results/") else folder + token)
    assert not pending, f"{pending} have no owner"
    return files


def rules_of(cell: str) -> list[str]:
    return CODE.findall(cell.split("(")[0])


def test_the_stages_tables_list_every_result_with_its_rule_and_owner_and_nothing_else():
    table = {}
    for cells in stages_rows():
        (rule,) = rules_of(cells[0])
        for pattern, owner in written(cells[3]):
            assert pattern not in table, f"{pattern} listed twice"
            table[pattern] = (rule, owner)
    in_map = {result.pattern: (result.rule, result.owner) for result in paths.RESULTS.values()}
    assert table == in_map


def test_the_stages_tables_give_every_rules_log_and_benchmark():
    jobs = {}
    for cells in stages_rows():
        (rule,) = rules_of(cells[0])
        jobs[rule] = (CODE.findall(cells[4])[0], "benchmark" in cells[4])
    assert jobs == {job.rule: (job.job, job.timed) for job in paths.JOBS.values()}


def test_every_rule_writing_results_has_a_log_and_every_log_a_rule():
    assert {result.rule for result in paths.RESULTS.values()} == set(paths.JOBS)
    logs = [job.log for job in paths.JOBS.values()]
    assert len(set(logs)) == len(logs)
    assert paths.TRAIN_JOB.log == "results/logs/train/{dataset}/{variant}/seed{seed}/{subject}.log"
    assert paths.SPOT_JOB.benchmark == "results/benchmarks/spot/{long_dataset}/{video}.tsv"


def test_the_rules_name_no_result_path_but_through_the_map():
    for path in [REPO / "workflow" / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]:
        code = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in code if "results/" in line], path.name


def test_a_job_wildcards_are_the_wildcards_of_its_files():
    def wildcards(pattern: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(pattern) if name}

    for result in paths.RESULTS.values():
        assert wildcards(result.pattern) == wildcards(paths.JOBS[result.rule].job), result.pattern
