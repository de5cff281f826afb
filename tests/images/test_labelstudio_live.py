"""A real Label Studio round trip of an image task: the review queue's images served by Label
Studio's local file storage, its image classification config, two annotators, their export
back into the label store, and a rebuild with their labels.

Label Studio runs as in `tests/labeling/human/tools/test_labelstudio_live.py` (its own
virtualenv, 127.0.0.1 only, a free port), started with local file serving on and the document
root at a temporary folder where the queue is exported.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from builder.cli import main
from builder.partitions import read_artifact
from tests.images.test_pipeline import RECIPE, build, pictures  # noqa: F401 (fixture)
from tests.labeling.human.tools.test_labelstudio_live import (LABEL_STUDIO, START_TIMEOUT, Server,
                                                              api_client, free_port,
                                                              project_export)

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(server, document root): Label Studio serving local files under the document root."""
    if not LABEL_STUDIO.exists():
        pytest.skip(f"Label Studio is not installed at {LABEL_STUDIO.parent.parent}: run "
                    "`make labelstudio`, or point FLYWHEEL_LABELSTUDIO_VENV at a virtualenv "
                    "that has it, to include this round trip.")
    import requests

    home = tmp_path_factory.mktemp("label-studio-images")
    documents = home / "documents"
    documents.mkdir()
    port = free_port()
    log = home / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO", "DJANGO"))}
    env.update(HOME=str(home), LABEL_STUDIO_BASE_DATA_DIR=str(home / "data"),
               PYTHONDONTWRITEBYTECODE="1", LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED="true",
               LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=str(documents))
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
        yield Server(base=base, process=process, log=log), documents
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def choice(label: str) -> dict:
    return {"result": [{"from_name": "label", "to_name": "image", "type": "choices",
                        "value": {"choices": [label]}}]}


def test_label_studio_round_trip_of_an_image_task(served, pictures, project):  # noqa: F811
    server, documents = served
    root = project.root
    project.recipe("pics", RECIPE + "labeling: {human: {image_url_prefix: "
                   "'/data/local-files/?d=pics/'}}\n")
    build(project)
    queue = documents / "pics"
    assert main(["--root", str(root), "label", "export", "pics", "--tool", "labelstudio",
                 "--budget", "3", "--strategy", "audit", "--out", str(queue)]) == 0
    tasks = json.loads((queue / "tasks.json").read_text())
    assert all(t["data"]["image"].startswith("/data/local-files/?d=pics/images/") for t in tasks)

    admin = api_client(server, "admin@example.com", "admin-pass-2026")
    created = admin.post(f"{server.base}/api/projects/", timeout=60, json={
        "title": "Flywheel pictures", "label_config": (queue / "labeling_config.xml").read_text()})
    assert created.status_code == 201, created.text[:500]
    project_id = created.json()["id"]
    storage = admin.post(f"{server.base}/api/storages/localfiles", timeout=60, json={
        "project": project_id, "title": "queue images", "path": str(queue / "images"),
        "use_blob_urls": True})
    assert storage.status_code == 201, storage.text[:500]
    imported = admin.post(f"{server.base}/api/projects/{project_id}/import", json=tasks,
                          timeout=60)
    assert imported.status_code == 201, imported.text[:500]
    listed = admin.get(f"{server.base}/api/tasks/", params={"project": project_id,
                                                           "fields": "all"},
                       timeout=60).json()["tasks"]
    task_of = {t["data"]["row_id"]: t["id"] for t in listed}
    rows = read_artifact(project.data("pics") / "labeled").set_index("_id")
    for task in tasks:  # Label Studio serves each image, byte for byte
        served_image = admin.get(f"{server.base}{task['data']['image']}", timeout=60)
        assert served_image.status_code == 200, served_image.text[:300]
        assert served_image.content == rows.loc[task["data"]["row_id"], "image"]

    first = api_client(server, "ann1@example.com", "ann1-pass-2026", signup=True)
    second = api_client(server, "ann2@example.com", "ann2-pass-2026", signup=True)
    wanted = {row_id: {"cat": "dog", "dog": "cat"}[rows.loc[row_id, "label"]]
              for row_id in task_of}
    for client in (first, second):
        for row_id, label in wanted.items():
            posted = client.post(f"{server.base}/api/tasks/{task_of[row_id]}/annotations/",
                                 json=choice(label), timeout=60)
            assert posted.status_code == 201, posted.text[:500]
    export = root / "ls-export.json"
    export.write_text(json.dumps(project_export(server, admin, project_id)))
    assert main(["--root", str(root), "label", "import", "pics", str(export),
                 "--tool", "labelstudio", "--by", "test"]) == 0
    build(project)
    labeled = read_artifact(project.data("pics") / "labeled").set_index("_id")
    for row_id, label in wanted.items():
        assert labeled.loc[row_id, "label"] == label
        assert labeled.loc[row_id, "label_source"] == "human"
