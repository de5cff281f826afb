"""`builder publish` through the real `huggingface_hub` client against a Hub server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.errors import FlywheelError
from builder.export.card import GENERATED_BEGIN, GENERATED_END, split_card
from builder.publish.local import LocalBuild
from builder.publish.plan import PublishOptions
from builder.publish.retries import scrub
from builder.publish.upload import publish
from tests.export.conftest import (built_reviews, hub, hub_env, offline_datasets,  # noqa: F401
                                   reviews_copy, run_python)

REPO_ID = "tester/reviews"


def local_build(project, repo_id: str | None = None) -> LocalBuild:
    return LocalBuild.read(project.data("reviews"), "reviews", repo_id)


def run_publish(project, options: PublishOptions, **kwargs):
    lines: list[str] = []
    result = publish(local_build(project), options, backoff=0.01, out=lines.append, **kwargs)
    return result, "\n".join(lines)


def hub_api(server):
    from huggingface_hub import HfApi

    return HfApi(endpoint=server.endpoint, token=server.state.token)


def titles(server, repo_id: str = REPO_ID, revision: str = "main") -> list[str]:
    return [c.title for c in hub_api(server).list_repo_commits(repo_id, repo_type="dataset",
                                                               revision=revision)]


def rebuild(project, *overrides: str) -> None:
    from builder.pipeline import runner

    runner.build("reviews", project.root, overrides, progress=False)


@pytest.mark.slow
def test_publish_then_load_back_equals_local_build(hub, built_reviews, tmp_path) -> None:
    result, output = run_publish(built_reviews, PublishOptions(repo_id=REPO_ID))
    content_hash = json.loads(built_reviews.data("reviews").joinpath("metrics.json").read_text())[
        "export"]["content_hash"]
    assert result.commit is not None
    assert titles(hub) == [f"Publish reviews (content sha256 {content_hash})", "initial commit"]
    assert "repository: will be created (private)" in output
    assert hub.state.repo("dataset", REPO_ID).private
    # A fresh interpreter, since `datasets` reads HF_ENDPOINT at import.
    code = f"""
import datasets
remote = datasets.load_dataset({REPO_ID!r})
local = datasets.load_from_disk({str(built_reviews.data("reviews") / "dataset")!r})
assert list(remote) == list(local) == ["train", "validation", "test"], (list(remote), list(local))
for split in local:
    assert remote[split].features == local[split].features, split
    assert remote[split].to_dict() == local[split].to_dict(), split
print("rows", {{s: remote[s].num_rows for s in remote}})
"""
    result = run_python(code, hub_env(hub, tmp_path / "reader_home"), built_reviews.root)
    published = json.loads(built_reviews.data("reviews").joinpath("metrics.json").read_text())[
        "export"]["rows_per_split"]
    in_order = {split: published[split] for split in ("train", "validation", "test")}
    assert f"rows {in_order}" in result.stdout


def test_republishing_an_unchanged_build_makes_no_commit(hub, built_reviews) -> None:
    first, _ = run_publish(built_reviews, PublishOptions(repo_id=REPO_ID))
    second, output = run_publish(built_reviews, PublishOptions(repo_id=REPO_ID))
    assert first.commit is not None and second.commit is None
    assert len(titles(hub)) == 2
    assert "up to date" in output and "unchanged: 4 file(s)" in output
    assert [path for _, path in hub.state.requests if "/commit/" in path] == [
        f"/api/datasets/{REPO_ID}/commit/main"]


def test_dry_run_prints_the_plan_and_changes_nothing(hub, built_reviews) -> None:
    result, output = run_publish(built_reviews, PublishOptions(repo_id=REPO_ID, dry_run=True))
    assert result.commit is None
    assert hub.state.repo("dataset", REPO_ID) is None
    assert [m for m, _ in hub.state.requests if m in ("POST", "PUT", "DELETE")] == []
    assert "upload data/train-00000-of-00001.parquet (new, " in output
    assert "upload README.md (new, " in output
    assert "card: language added, license added" in output
    assert "dry run: nothing was uploaded or changed." in output


def test_owner_card_edits_are_merged_not_overwritten(hub, reviews_copy) -> None:
    run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    api = hub_api(hub)
    card = Path(api.hf_hub_download(REPO_ID, "README.md", repo_type="dataset",
                                    cache_dir=str(reviews_copy.root / "cache"))).read_text()
    metadata, body = split_card(card)
    metadata["annotations_creators"] = ["expert-generated"]
    metadata["tags"] = ["movies", "flywheel"]
    edited = ("---\n" + json.dumps(metadata) + "\n---\n\nOwner's intro.\n\n" + body.lstrip()
              + "\n## Contact\n\nowner@example.org\n")
    api.upload_file(path_or_fileobj=edited.encode(), path_in_repo="README.md", repo_id=REPO_ID,
                    repo_type="dataset", commit_message="owner edits the card")
    # Nothing of ours changed: the owner's card already holds our block, so no commit.
    unchanged, _ = run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    assert unchanged.commit is None
    # A rebuild with another description changes our block; the owner's text and keys stay.
    rebuild(reviews_copy, "+publish.description=New description.")
    result, output = run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    assert result.commit is not None
    assert "their other keys and prose outside the generated block are kept" in output
    merged = Path(api.hf_hub_download(REPO_ID, "README.md", repo_type="dataset",
                                      cache_dir=str(reviews_copy.root / "cache2"))).read_text()
    metadata, body = split_card(merged)
    assert metadata["annotations_creators"] == ["expert-generated"]
    assert metadata["tags"] == ["movies", "flywheel"]
    assert body.startswith("Owner's intro.\n\n" + GENERATED_BEGIN)
    assert body.rstrip().endswith(GENERATED_END + "\n\n## Contact\n\nowner@example.org")
    assert "New description." in body and body.count(GENERATED_BEGIN) == 1
    assert 'load_dataset("tester/reviews")' in body  # the snippet names the repository
    assert titles(hub)[1] == "owner edits the card"


def test_a_changed_build_replaces_stale_shards_in_one_commit(hub, reviews_copy) -> None:
    run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    api = hub_api(hub)
    api.upload_file(path_or_fileobj=b"PAR1 old shard", path_in_repo="data/old-00000-of-00001.parquet",
                    repo_id=REPO_ID, repo_type="dataset", commit_message="a shard of an older layout")
    api.upload_file(path_or_fileobj=b"owner's file", path_in_repo="extra/notes.txt",
                    repo_id=REPO_ID, repo_type="dataset", commit_message="owner adds a file")
    rebuild(reviews_copy, "seed=7")
    result, output = run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    assert "upload data/train-00000-of-00001.parquet (changed, " in output
    assert "delete data/old-00000-of-00001.parquet (not in this build)" in output
    files = set(api.list_repo_files(REPO_ID, repo_type="dataset"))
    assert "data/old-00000-of-00001.parquet" not in files
    assert {"extra/notes.txt", ".gitattributes", "README.md"} <= files
    assert len(titles(hub)) == 5


def test_a_server_error_leaves_the_remote_as_it_was(hub, reviews_copy) -> None:
    run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    head_before = hub_api(hub).dataset_info(REPO_ID).sha
    rebuild(reviews_copy, "seed=7")
    hub.state.fail("POST", "/commit/", 500)
    with pytest.raises(FlywheelError, match=(
            r"publish reviews to tester/reviews failed after 4 attempts: the Hub answered HTTP 500 "
            r"to POST .*/commit/main: injected failure 500\. Publish again later.* The repository "
            r"on the Hub is as it was \(a commit is all or nothing\)\.$")):
        run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    assert hub_api(hub).dataset_info(REPO_ID).sha == head_before


def test_a_failed_upload_makes_no_commit(hub, reviews_copy, monkeypatch) -> None:
    """The client retries LFS transfers itself (here with short waits); publish does not multiply
    those retries, and the commit that would reference the missing file is never sent."""
    import functools

    import huggingface_hub.lfs

    monkeypatch.setattr(huggingface_hub.lfs, "http_backoff", functools.partial(
        huggingface_hub.lfs.http_backoff, base_wait_time=0.01, max_wait_time=0.01))
    run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    head_before = hub_api(hub).dataset_info(REPO_ID).sha
    rebuild(reviews_copy, "seed=11")
    hub.state.fail("PUT", "/lfs-upload/", 500)
    start = len(hub.state.requests)
    with pytest.raises(FlywheelError, match=(
            r"failed: the Hub answered HTTP 500 to PUT .*/lfs-upload/[0-9a-f]{64}: Error while "
            r"uploading 'data/\w+-00000-of-00001.parquet' to the Hub\. injected failure 500\. .* "
            r"The repository on the Hub is as it was")):
        run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    assert hub_api(hub).dataset_info(REPO_ID).sha == head_before
    requests = hub.state.requests[start:]
    puts = [path for method, path in requests if method == "PUT"]
    assert len(puts) == 6 * 3  # 3 changed shards, each tried 6 times by the client, once by us
    assert [path for _, path in requests if "/commit/" in path] == []


def test_a_repository_created_by_a_failed_publish_is_removed(hub, built_reviews) -> None:
    hub.state.fail("POST", "/commit/", 500)
    with pytest.raises(FlywheelError, match=r"Deleted the repository tester/new this run created\.$"):
        run_publish(built_reviews, PublishOptions(repo_id="tester/new"))
    assert hub.state.repo("dataset", "tester/new") is None


def test_transient_errors_are_retried_with_backoff(hub, built_reviews) -> None:
    hub.state.fail("POST", "/commit/", 503, times=2)
    result, output = run_publish(built_reviews, PublishOptions(repo_id=REPO_ID))
    assert result.commit is not None
    assert "attempt 1 failed (HTTP 503); retrying in 0.01 s" in output
    assert "attempt 2 failed (HTTP 503); retrying in 0.02 s" in output
    assert len(titles(hub)) == 2


def test_a_network_error_is_retried_then_says_what_to_do(hub, built_reviews, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    lines: list[str] = []
    with pytest.raises(FlywheelError, match=(
            r"failed after 2 attempts: cannot reach the Hub at http://127.0.0.1:9 \(ConnectError: "
            r".*\)\. Check the network or HF_ENDPOINT, then publish again\.")):
        publish(local_build(built_reviews), PublishOptions(repo_id=REPO_ID), attempts=2,
                backoff=0.01, out=lines.append)
    assert lines == ["  attempt 1 failed (ConnectError); retrying in 0.01 s"]


def test_a_push_made_meanwhile_is_not_overwritten(hub, reviews_copy, monkeypatch) -> None:
    """The commit names the head it was planned against: someone else's push in between makes it
    fail (412), and the retry re-plans on top of that push."""
    import builder.publish.upload as publishing

    run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    rebuild(reviews_copy, "seed=5")
    real_commit = publishing.commit_plan
    pushed = []

    def push_first(api, plan, local, parent):
        if not pushed:
            pushed.append(api.upload_file(path_or_fileobj=b"hello", path_in_repo="notes.txt",
                                          repo_id=REPO_ID, repo_type="dataset",
                                          commit_message="someone else pushes"))
        return real_commit(api, plan, local, parent)

    monkeypatch.setattr(publishing, "commit_plan", push_first)
    result, output = run_publish(reviews_copy, PublishOptions(repo_id=REPO_ID))
    assert "attempt 1 failed (HTTP 412); retrying" in output
    assert result.commit is not None
    assert titles(hub)[:2] == [titles(hub)[0], "someone else pushes"]
    assert "notes.txt" in hub_api(hub).list_repo_files(REPO_ID, repo_type="dataset")


def test_a_rejected_token_is_explained(hub, built_reviews, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(FlywheelError, match=r"the Hub rejected the token \(401 Unauthorized\)"):
        run_publish(built_reviews, PublishOptions(repo_id=REPO_ID))


def test_publishing_needs_a_token(hub, built_reviews, monkeypatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(FlywheelError, match=r"no Hugging Face token\. Set HF_TOKEN or log in"):
        run_publish(built_reviews, PublishOptions(repo_id=REPO_ID))


def test_a_dry_run_needs_no_token(hub, built_reviews, monkeypatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    result, output = run_publish(built_reviews, PublishOptions(repo_id=REPO_ID, dry_run=True))
    assert ("repository: will be created (private) (or it is private: without a token it cannot "
            "be seen)") in output
    assert result.commit is None and hub.state.repos == {}


def test_publishing_to_a_branch_leaves_main_alone(hub, built_reviews) -> None:
    run_publish(built_reviews, PublishOptions(repo_id=REPO_ID))
    result, output = run_publish(built_reviews, PublishOptions(repo_id=REPO_ID, revision="dev"))
    assert "branch dev: will be created from main" in output
    assert "created branch dev at " in output and result.commit is None
    refs = hub_api(hub).list_repo_refs(REPO_ID, repo_type="dataset")
    assert sorted(b.name for b in refs.branches) == ["dev", "main"]


def test_a_broken_build_is_refused(built_reviews, tmp_path) -> None:
    import shutil

    data = tmp_path / "reviews"
    shutil.copytree(built_reviews.data("reviews"), data)
    (data / "hub" / "data" / "test-00000-of-00001.parquet").write_bytes(b"truncated")
    with pytest.raises(FlywheelError, match=r"differ from the shard checksums .* rebuild with "
                                            r"`builder build reviews`"):
        LocalBuild.read(data, "reviews", None)
    with pytest.raises(FlywheelError, match=r"no finished build to publish; run `builder build other`"):
        LocalBuild.read(tmp_path / "missing", "other", None)


def test_scrub_removes_the_token() -> None:
    assert scrub("Bearer hf_abc failed", "hf_abc") == "Bearer *** failed"
    assert scrub("nothing here", None) == "nothing here"


@pytest.mark.slow
def test_cli_publish_never_shows_or_stores_the_token(hub, reviews_copy, tmp_path) -> None:
    token = hub.state.token
    home = tmp_path / "cli_home"
    env = hub_env(hub, home)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "builder", *args], cwd=reviews_copy.root,
                              env=env, capture_output=True, text=True)

    first = cli("publish", "reviews", "--repo-id", REPO_ID, "--dry-run")
    second = cli("publish", "reviews", "--repo-id", REPO_ID)
    third = cli("publish", "reviews", "--repo-id", REPO_ID)
    assert (first.returncode, second.returncode, third.returncode) == (0, 0, 0), second.stderr
    assert "committed " in second.stdout and "up to date" in third.stdout
    hub.state.fail("POST", "/commit/", 500)
    rebuild(reviews_copy, "seed=3")
    failed = cli("publish", "reviews", "--repo-id", REPO_ID)
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines()[-1].startswith("error: publish reviews to tester/reviews failed")
    assert "Traceback" not in failed.stderr
    for result in (first, second, third, failed):
        assert token not in result.stdout + result.stderr
    for folder in (reviews_copy.root, home):
        for path in folder.rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), path
    missing = cli("publish", "reviews")
    assert missing.returncode == 2
    assert "no repository; pass --repo-id NAMESPACE/NAME or set publish.repo_id" in missing.stderr
