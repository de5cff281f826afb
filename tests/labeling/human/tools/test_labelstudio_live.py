"""A real Label Studio round trip: our tasks and config in, two annotators, their export back.

Label Studio lives in its own virtual environment, `.venv-labelstudio` (`make labelstudio`; it
pins its own Django stack), or the one `FLYWHEEL_LABELSTUDIO_VENV` names (e.g. another
checkout's, so that every worktree need not install its own). The server listens on 127.0.0.1
only, on a free port, with a temporary data folder, and is stopped at the end. Label Studio 1.23
disables legacy tokens, so every account logs in with a session once and then uses a personal
access token (a JWT refresh token exchanged for short-lived access tokens).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder import artifacts
from builder.partitions import read_artifact
from builder.cli import main
from tests.conftest import REPO
from tests.labeling.human.conftest import build_labeled

LABEL_STUDIO = (Path(os.environ.get("FLYWHEEL_LABELSTUDIO_VENV", REPO / ".venv-labelstudio"))
                / "bin" / "label-studio")
pytestmark = [pytest.mark.slow, pytest.mark.integration]
START_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log: Path


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    """A Label Studio server on 127.0.0.1 with an admin account; stopped afterwards."""
    if not LABEL_STUDIO.exists():
        pytest.skip(f"Label Studio is not installed at {LABEL_STUDIO.parent.parent}: run "
                    "`make labelstudio` (make test does it), or point FLYWHEEL_LABELSTUDIO_VENV "
                    "at a virtualenv that has it, to include this round trip.")
    import requests

    home = tmp_path_factory.mktemp("label-studio")
    port = free_port()
    log = home / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO", "DJANGO"))}
    env.update(HOME=str(home), LABEL_STUDIO_BASE_DATA_DIR=str(home / "data"),
               PYTHONDONTWRITEBYTECODE="1")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(LABEL_STUDIO), "start", "--no-browser", "--internal-host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(home / "data"),
             "--username", "admin@example.com", "--password", "admin-pass-2026",
             "--log-level", "WARNING"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=home, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"Label Studio exited ({process.returncode}):\n"
                            f"{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{base}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Label Studio did not answer within {START_TIMEOUT} s:\n"
                            f"{log.read_text()[-3000:]}")
            time.sleep(1)
        yield Server(base=base, process=process, log=log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def api_client(server: Server, email: str, password: str, signup: bool = False):
    """A requests session authenticated by a personal access token of `email`'s account."""
    import requests

    browser = requests.Session()
    page = f"{server.base}/user/{'signup' if signup else 'login'}/"
    browser.get(page, timeout=30)
    answer = browser.post(page, data={"csrfmiddlewaretoken": browser.cookies["csrftoken"],
                                      "email": email, "password": password},
                          headers={"Referer": page}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    token = browser.post(f"{server.base}/api/token/", timeout=30,
                         headers={"X-CSRFToken": browser.cookies["csrftoken"],
                                  "Referer": server.base})
    assert token.status_code == 201, token.text[:500]
    access = requests.post(f"{server.base}/api/token/refresh/", timeout=30,
                           json={"refresh": token.json()["token"]})
    assert access.status_code == 200, access.text[:500]
    client = requests.Session()
    client.headers["Authorization"] = f"Bearer {access.json()['access']}"
    return client


def choice(label: str) -> dict:
    return {"result": [{"from_name": "label", "to_name": "text", "type": "choices",
                        "value": {"choices": [label]}}]}


def project_export(server: Server, admin, project: int) -> list:
    """What the UI's Export button gives: a snapshot with annotators' user objects."""
    snapshot = admin.post(f"{server.base}/api/projects/{project}/exports/", timeout=60,
                          json={"serialization_options": {
                              "annotations__completed_by": {"only_id": False}}})
    assert snapshot.status_code == 201, snapshot.text[:500]
    export_id = snapshot.json()["id"]
    for _ in range(60):
        status = admin.get(f"{server.base}/api/projects/{project}/exports/{export_id}",
                           timeout=30).json()["status"]
        if status == "completed":
            break
        time.sleep(1)
    download = admin.get(f"{server.base}/api/projects/{project}/exports/{export_id}/download",
                         params={"exportType": "JSON"}, timeout=60)
    assert download.status_code == 200, download.text[:500]
    return download.json()


def export_and_import(server: Server, admin, project: int, path: Path, root: Path) -> list[Path]:
    """The project's export, saved to `path` and imported with `builder label import`; returns
    the label store's batches."""
    path.write_text(json.dumps(project_export(server, admin, project)))
    assert main(["--root", str(root), "label", "import", "shop", str(path),
                 "--tool", "labelstudio", "--by", "test"]) == 0
    return sorted((root / "labels" / "shop").glob("batch-*.jsonl"))


def test_label_studio_round_trip(label_studio: Server, shop_built, tmp_path) -> None:
    import psutil

    root = shop_built.root
    server = label_studio
    listening = {c.laddr.ip for c in psutil.Process(server.process.pid).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}  # loopback only

    # Our review queue, in Label Studio's format.
    assert main(["--root", str(root), "label", "export", "shop", "--tool", "labelstudio",
                 "--budget", "5"]) == 0
    queue = shop_built.data("shop") / "queue" / "labelstudio"
    tasks = json.loads((queue / "tasks.json").read_text())
    assert sorted(t["data"]["row_id"] for t in tasks) == [
        "shop/r2", "shop/r3", "shop/r4", "shop/r6", "shop/r7"]

    admin = api_client(server, "admin@example.com", "admin-pass-2026")
    created = admin.post(f"{server.base}/api/projects/", timeout=60, json={
        "title": "Flywheel shop review",
        "label_config": (queue / "labeling_config.xml").read_text()})
    assert created.status_code == 201, created.text[:500]
    project = created.json()["id"]
    imported = admin.post(f"{server.base}/api/projects/{project}/import", json=tasks, timeout=60)
    assert imported.status_code == 201, imported.text[:500]
    assert imported.json()["task_count"] == 5
    listed = admin.get(f"{server.base}/api/tasks/", params={"project": project, "fields": "all"},
                       timeout=60).json()["tasks"]
    task_of = {t["data"]["row_id"]: t["id"] for t in listed}

    # Two annotators sign up to the organization and label through the API.
    first = api_client(server, "ann1@example.com", "ann1-pass-2026", signup=True)
    second = api_client(server, "ann2@example.com", "ann2-pass-2026", signup=True)
    votes = {first: {"shop/r2": "neg", "shop/r3": "neg", "shop/r4": "pos", "shop/r6": "pos",
                     "shop/r7": "neg"},
             second: {"shop/r2": "neg", "shop/r3": "pos", "shop/r4": "pos", "shop/r6": "pos",
                      "shop/r7": None}}
    for client, labels in votes.items():
        for row_id, label in labels.items():
            body = choice(label) if label else {"result": [], "was_cancelled": True}
            posted = client.post(f"{server.base}/api/tasks/{task_of[row_id]}/annotations/",
                                 json=body, timeout=60)
            assert posted.status_code == 201, posted.text[:500]

    batches = export_and_import(server, admin, project, tmp_path / "project-export.json", root)
    assert len(batches) == 1
    header = json.loads(batches[0].read_text().splitlines()[0])
    assert header["records"] == 9 and header["skipped"] == {"cancelled": 1}
    assert header["annotators"] == ["labelstudio:ann1@example.com", "labelstudio:ann2@example.com"]

    # Rebuild: the human labels land, keyed by _id.
    ctx = build_labeled(shop_built)
    labeled = read_artifact(ctx.artifact("labeled")).set_index("_id")
    got = labeled.loc[["shop/r2", "shop/r3", "shop/r4", "shop/r6", "shop/r7"]]
    assert got["label"].fillna("-").tolist() == ["neg", "-", "pos", "pos", "neg"]
    assert got["label_source"].fillna("-").tolist() == ["human", "-", "human", "human", "human"]
    assert got["label_confidence"].fillna(-1).tolist() == [1.0, -1, 1.0, 1.0, 1.0]
    human = artifacts.read_json(ctx.metrics_path("label"))["human"]
    assert human["applied"] == 4 and human["ties"] == 1
    assert human["replaced"] == {"unlabeled": 4} and human["outranked_by"] == {}
    assert human["rows_with_several_annotators"] == 4
    assert human["cohen_kappa"] == [{"annotators": ["labelstudio:ann1@example.com",
                                                    "labelstudio:ann2@example.com"],
                                     "rows": 4, "kappa": 0.5}]
    assert human["krippendorff_alpha"] == 0.5333
    assert human["fleiss_kappa"] == 0.4667
    assert human["annotators"]["labelstudio:ann1@example.com"]["labels"] == 5

    # The second annotator comes back to the skipped task: a full re-export adds only that.
    posted = second.post(f"{server.base}/api/tasks/{task_of['shop/r7']}/annotations/",
                         json=choice("neg"), timeout=60)
    assert posted.status_code == 201, posted.text[:500]
    batches = export_and_import(server, admin, project, tmp_path / "project-export-2.json", root)
    assert len(batches) == 2
    records = [json.loads(line) for line in batches[1].read_text().splitlines()[1:]]
    assert [(r["_id"], r["annotator"], r["label"]) for r in records] == [
        ("shop/r7", "labelstudio:ann2@example.com", "neg")]
