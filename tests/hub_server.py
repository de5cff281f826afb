"""A small Hugging Face Hub API server for tests, on 127.0.0.1 only.

It implements what `huggingface_hub` calls to publish a dataset with `HF_HUB_DISABLE_XET=1` and
what `datasets.load_dataset(repo_id)` calls to read one back: repository info and creation,
`validate-yaml`, `preupload`, the LFS batch API and upload, the NDJSON `commit`, tree and
paths-info listings, commits, refs and branches, and `resolve` (with HEAD and Range requests).
State lives in memory: repositories are chains of commits, each a full snapshot of its files.

Tests may make a route fail (`server.state.fail("POST", "/commit/", 500, times=3)`) and read
every request the client made (`server.state.requests`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.arrow filter=lfs diff=lfs merge=lfs -text\n"
REPO = r"(?P<type>dataset|model)s/(?P<repo>[^/]+/[^/]+?)"


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass(frozen=True)
class Blob:
    """A file in a commit: its bytes and whether git stores it through LFS."""

    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def oid(self) -> str:
        """The git blob id: of the content, or of the LFS pointer for an LFS file."""
        return git_blob_sha1(lfs_pointer(self.sha256, len(self.data)) if self.lfs else self.data)

    def entry(self, path: str) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "file", "oid": self.oid, "size": len(self.data), "path": path}
        if self.lfs:
            pointer = lfs_pointer(self.sha256, len(self.data))
            item["lfs"] = {"oid": self.sha256, "size": len(self.data), "pointerSize": len(pointer)}
        return item


@dataclass
class Commit:
    oid: str
    parent: str | None
    title: str
    description: str
    files: dict[str, Blob]
    date: str


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        """A branch name or a (full) commit id."""
        oid = self.branches.get(revision, revision)
        return self.commits.get(oid)

    def add_commit(self, branch: str, title: str, description: str, files: dict[str, Blob],
                   parent: str | None) -> Commit:
        body = json.dumps([parent, title, description, sorted((p, b.oid) for p, b in files.items())])
        commit = Commit(oid=hashlib.sha1(body.encode()).hexdigest(), parent=parent, title=title,
                        description=description, files=files,
                        date=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"))
        self.commits[commit.oid] = commit
        self.branches[branch] = commit.oid
        return commit

    def history(self, revision: str) -> list[Commit]:
        commits, commit = [], self.resolve(revision)
        while commit is not None:
            commits.append(commit)
            commit = self.commits.get(commit.parent) if commit.parent else None
        return commits


class HttpError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


@dataclass
class Failure:
    method: str
    pattern: str
    status: int
    times: int


class HubState:
    """Everything the server knows: repositories, LFS objects, the token, injected failures."""

    def __init__(self, token: str, user: str = "tester"):
        self.token = token
        self.user = user
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.failures: list[Failure] = []
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def fail(self, method: str, pattern: str, status: int, times: int = 1_000_000) -> None:
        """Answer `status` to the next `times` requests whose path contains `pattern`."""
        self.failures.append(Failure(method, pattern, status, times))

    def repo(self, repo_type: str, repo_id: str) -> Repo | None:
        return self.repos.get((repo_type, repo_id))

    def commits(self, repo_id: str, revision: str = "main", repo_type: str = "dataset") -> list[Commit]:
        repo = self.repo(repo_type, repo_id)
        return repo.history(revision) if repo else []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HubServer

    # -- plumbing --------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    @property
    def state(self) -> HubState:
        return self.server.state

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_HEAD(self) -> None:
        self.dispatch("HEAD")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        with self.state.lock:
            self.state.requests.append((method, url.path))
            for failure in self.state.failures:
                if failure.times > 0 and failure.method == method and failure.pattern in url.path:
                    failure.times -= 1
                    return self.send_json({"error": f"injected failure {failure.status}"}, failure.status)
        for route_method, pattern, name in ROUTES:
            match = re.fullmatch(pattern, url.path)
            if match and (route_method == method or (route_method == "GET" and method == "HEAD")):
                try:
                    with self.state.lock:
                        getattr(self, name)(**{k: unquote(v) for k, v in match.groupdict().items() if v is not None})
                except HttpError as error:
                    self.send_json({"error": error.message}, error.status, error.code)
                return
        self.send_json({"error": f"no route for {method} {url.path}"}, 404)

    def send_bytes(self, data: bytes, status: int = 200, headers: dict[str, str] | None = None,
                   content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, payload: Any, status: int = 200, code: str | None = None,
                  headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        if code:
            headers["X-Error-Code"] = code
        if status >= 400:
            headers["X-Error-Message"] = payload.get("error", "") if isinstance(payload, dict) else ""
        self.send_bytes(json.dumps(payload).encode(), status, headers)

    def json_body(self) -> Any:
        return json.loads(self.body or b"{}")

    # -- authentication ------------------------------------------------------------------------
    def bearer(self) -> str | None:
        header = self.headers.get("Authorization", "")
        return header[7:] if header.startswith("Bearer ") else None

    def require_writer(self) -> None:
        token = self.bearer()
        if token is None:
            raise HttpError(401, "You must be authenticated to write")
        if token != self.state.token:
            raise HttpError(401, "Invalid credentials in Authorization header")

    def readable_repo(self, type: str, repo: str) -> Repo:
        found = self.state.repo(type, repo)
        if found is None or (found.private and self.bearer() != self.state.token):
            raise HttpError(404, "Repository not found", "RepoNotFound")
        return found

    def commit_at(self, repo: Repo, rev: str) -> Commit:
        commit = repo.resolve(rev)
        if commit is None:
            raise HttpError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return commit

    # -- repositories --------------------------------------------------------------------------
    def whoami(self) -> None:
        self.require_writer()
        self.send_json({"type": "user", "name": self.state.user, "orgs": [],
                        "auth": {"accessToken": {"role": "write"}}})

    def create_repo(self) -> None:
        self.require_writer()
        body = self.json_body()
        repo_id = f"{body.get('organization') or self.state.user}/{body['name']}"
        repo_type = body.get("type") or "model"
        if self.state.repo(repo_type, repo_id):
            raise HttpError(409, "You already created this repo")
        repo = Repo(repo_type, repo_id, private=body.get("visibility", "public") != "public"
                    or bool(body.get("private")))
        repo.add_commit("main", "initial commit", "", {".gitattributes": Blob(GITATTRIBUTES, False)}, None)
        self.state.repos[(repo_type, repo_id)] = repo
        prefix = "datasets/" if repo_type == "dataset" else ""
        self.send_json({"url": f"{self.server.endpoint}/{prefix}{repo_id}", "name": repo_id})

    def delete_repo(self) -> None:
        self.require_writer()
        body = self.json_body()
        repo_id = f"{body.get('organization') or self.state.user}/{body['name']}"
        if self.state.repos.pop((body.get("type") or "model", repo_id), None) is None:
            raise HttpError(404, "Repository not found", "RepoNotFound")
        self.send_json({})

    def repo_info(self, type: str, repo: str, rev: str = "main") -> None:
        found = self.readable_repo(type, repo)
        commit = self.commit_at(found, rev)
        card = {}
        if "README.md" in commit.files:
            card = front_matter(commit.files["README.md"].data.decode()) or {}
        self.send_json({
            "_id": hashlib.sha1(repo.encode()).hexdigest()[:24], "id": repo,
            "author": repo.split("/")[0], "sha": commit.oid, "private": found.private,
            "gated": False, "disabled": False, "downloads": 0, "likes": 0, "tags": [],
            "lastModified": commit.date, "createdAt": found.history(commit.oid)[-1].date,
            "cardData": card, "siblings": [{"rfilename": path} for path in sorted(commit.files)],
        })

    def validate_yaml(self) -> None:
        content = self.json_body().get("content", "")
        errors = validate_card_metadata(content)
        self.send_json({"errors": [{"message": e} for e in errors], "warnings": []},
                       400 if errors else 200)

    # -- listings ----------------------------------------------------------------------------------
    def tree(self, type: str, repo: str, rev: str, path: str = "") -> None:
        commit = self.commit_at(self.readable_repo(type, repo), rev)
        recursive = self.query.get("recursive", "").lower() in ("1", "true")
        entries = list_tree(commit.files, path.strip("/"), recursive)
        if entries is None:
            raise HttpError(404, f"{path} does not exist", "EntryNotFound")
        self.send_json(entries)

    def paths_info(self, type: str, repo: str, rev: str) -> None:
        commit = self.commit_at(self.readable_repo(type, repo), rev)
        body = self.json_body() if self.body.startswith(b"{") else {
            k: v for k, v in parse_qs(self.body.decode()).items()}
        paths = body.get("paths", [])
        paths = [paths] if isinstance(paths, str) else paths
        result = []
        for path in paths:
            path = path.strip("/")
            if path in commit.files:
                result.append(commit.files[path].entry(path))
            elif any(p.startswith(path + "/") for p in commit.files):
                result.append({"type": "directory", "oid": dir_oid(commit.files, path), "size": 0, "path": path})
        self.send_json(result)

    def list_commits(self, type: str, repo: str, rev: str) -> None:
        found = self.readable_repo(type, repo)
        self.commit_at(found, rev)
        self.send_json([{"id": c.oid, "title": c.title, "message": c.description,
                         "authors": [{"user": self.state.user}], "date": c.date}
                        for c in found.history(rev)])

    def refs(self, type: str, repo: str) -> None:
        found = self.readable_repo(type, repo)
        self.send_json({"branches": [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": oid}
                                     for n, oid in sorted(found.branches.items())],
                        "tags": [], "converts": []})

    def create_branch(self, type: str, repo: str, branch: str) -> None:
        self.require_writer()
        found = self.readable_repo(type, repo)
        if branch in found.branches:
            raise HttpError(409, f"Reference already exists: refs/heads/{branch}")
        start = self.json_body().get("startingPoint") or "main"
        found.branches[branch] = self.commit_at(found, start).oid
        self.send_json({})

    def delete_branch(self, type: str, repo: str, branch: str) -> None:
        self.require_writer()
        found = self.readable_repo(type, repo)
        if found.branches.pop(branch, None) is None:
            raise HttpError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
        self.send_json({})

    # -- uploads -------------------------------------------------------------------------------------
    def preupload(self, type: str, repo: str, rev: str) -> None:
        self.require_writer()
        found = self.readable_repo(type, repo)
        commit = self.commit_at(found, rev)
        patterns = lfs_patterns(commit.files)
        files = []
        for item in self.json_body().get("files", []):
            sample = base64.b64decode(item.get("sample", ""))
            lfs = any(fnmatch(item["path"], p) for p in patterns) or b"\0" in sample
            existing = commit.files.get(item["path"])
            oid = None
            if existing is not None:
                oid = existing.sha256 if existing.lfs else git_blob_sha1(existing.data)
            files.append({"path": item["path"], "uploadMode": "lfs" if lfs else "regular",
                          "shouldIgnore": False, "oid": oid})
        self.send_json({"files": files, "commitOid": commit.oid})

    def lfs_batch(self, type: str, repo: str) -> None:
        self.require_writer()
        self.readable_repo(type, repo)
        objects = []
        for item in self.json_body().get("objects", []):
            entry = {"oid": item["oid"], "size": item["size"]}
            if item["oid"] not in self.state.lfs_objects:
                entry["actions"] = {"upload": {"href": f"{self.server.endpoint}/lfs-upload/{item['oid']}",
                                               "header": {}}}
            objects.append(entry)
        self.send_json({"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    def lfs_upload(self, oid: str) -> None:
        if hashlib.sha256(self.body).hexdigest() != oid:
            raise HttpError(400, "uploaded content does not match its sha256")
        self.state.lfs_objects[oid] = self.body
        self.send_bytes(b"", 200)

    def commit(self, type: str, repo: str, rev: str) -> None:
        self.require_writer()
        found = self.readable_repo(type, repo)
        lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        header = next(line["value"] for line in lines if line["key"] == "header")
        head = self.commit_at(found, rev)
        if header.get("parentCommit") and header["parentCommit"] != head.oid:
            raise HttpError(412, "A commit has happened since. Please refresh and try again.")
        files = dict(head.files)
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "file":
                files[value["path"]] = Blob(base64.b64decode(value["content"]), False)
            elif key == "lfsFile":
                data = self.state.lfs_objects.get(value["oid"])
                if data is None:
                    raise HttpError(422, f"LFS object {value['oid']} was never uploaded")
                files[value["path"]] = Blob(data, True)
            elif key == "deletedFile":
                if files.pop(value["path"], None) is None:
                    raise HttpError(404, "A file with this name doesn't exist", "EntryNotFound")
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                files = {p: b for p, b in files.items() if not p.startswith(prefix)}
        commit = found.add_commit(rev, header["summary"], header.get("description", ""), files, head.oid)
        prefix = "datasets/" if type == "dataset" else ""
        self.send_json({"commitUrl": f"{self.server.endpoint}/{prefix}{repo}/commit/{commit.oid}",
                        "commitOid": commit.oid, "success": True})

    # -- downloads -------------------------------------------------------------------------------------
    def resolve(self, type: str, repo: str, rev: str, path: str) -> None:
        commit = self.commit_at(self.readable_repo(type, repo), rev)
        blob = commit.files.get(path)
        if blob is None:
            raise HttpError(404, f"{path} does not exist", "EntryNotFound")
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{blob.sha256 if blob.lfs else blob.oid}"',
                   "Accept-Ranges": "bytes"}
        if blob.lfs:
            headers.update({"X-Linked-Etag": f'"{blob.sha256}"', "X-Linked-Size": str(len(blob.data))})
        data, status = blob.data, 200
        ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if ranged and data:
            start = int(ranged[1]) if ranged[1] else max(0, len(data) - int(ranged[2]))
            end = min(int(ranged[2]), len(data) - 1) if ranged[1] and ranged[2] else len(data) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data, status = data[start:end + 1], 206
        self.send_bytes(data, status, headers, "application/octet-stream")


ROUTES = [
    ("GET", r"/api/whoami-v2", "whoami"),
    ("POST", r"/api/repos/create", "create_repo"),
    ("DELETE", r"/api/repos/delete", "delete_repo"),
    ("POST", r"/api/validate-yaml", "validate_yaml"),
    ("GET", rf"/api/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", "tree"),
    ("POST", rf"/api/{REPO}/paths-info/(?P<rev>[^/]+)", "paths_info"),
    ("GET", rf"/api/{REPO}/commits/(?P<rev>[^/]+)", "list_commits"),
    ("GET", rf"/api/{REPO}/refs", "refs"),
    ("POST", rf"/api/{REPO}/branch/(?P<branch>[^/]+)", "create_branch"),
    ("DELETE", rf"/api/{REPO}/branch/(?P<branch>[^/]+)", "delete_branch"),
    ("POST", rf"/api/{REPO}/preupload/(?P<rev>[^/]+)", "preupload"),
    ("POST", rf"/api/{REPO}/commit/(?P<rev>[^/]+)", "commit"),
    ("GET", rf"/api/{REPO}(?:/revision/(?P<rev>[^/]+))?", "repo_info"),
    ("POST", rf"/{REPO}\.git/info/lfs/objects/batch", "lfs_batch"),
    ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "lfs_upload"),
    ("GET", rf"/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
]


def lfs_patterns(files: dict[str, Blob]) -> list[str]:
    attributes = files.get(".gitattributes")
    if attributes is None:
        return []
    return [line.split()[0] for line in attributes.data.decode().splitlines()
            if "filter=lfs" in line and line.split()]


def dir_oid(files: dict[str, Blob], folder: str) -> str:
    inside = sorted((p, b.oid) for p, b in files.items() if p.startswith(folder + "/"))
    return hashlib.sha1(json.dumps(inside).encode()).hexdigest()


def list_tree(files: dict[str, Blob], folder: str, recursive: bool) -> list[dict] | None:
    """Tree entries under `folder` (direct children, or everything when `recursive`)."""
    prefix = folder + "/" if folder else ""
    inside = sorted(p for p in files if p.startswith(prefix))
    if folder and not inside:
        return None
    entries, folders = [], set()
    for path in inside:
        parts = path[len(prefix):].split("/")
        for depth in range(1, len(parts)):
            sub = prefix + "/".join(parts[:depth])
            if (recursive or depth == 1) and sub not in folders:
                folders.add(sub)
                entries.append({"type": "directory", "oid": dir_oid(files, sub), "size": 0, "path": sub})
        if recursive or len(parts) == 1:
            entries.append(files[path].entry(path))
    return entries


def front_matter(text: str) -> Any:
    """The YAML between the leading `---` lines of a card, or None."""
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    return yaml.safe_load(match[1]) if match else None


SIZE_CATEGORIES = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M",
                   "100M<n<1B", "1B<n<10B", "10B<n<100B", "100B<n<1T", "n>1T"}


def validate_card_metadata(content: str) -> list[str]:
    """The checks the Hub makes on a dataset card's YAML that matter here."""
    try:
        data = front_matter(content)
    except yaml.YAMLError as error:
        return [f"YAML is invalid: {error}"]
    if data is None:
        return []
    if not isinstance(data, dict):
        return ["metadata must be a mapping"]
    errors = []
    for key in ("task_categories", "size_categories", "tags", "language"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(v, str) for v in data[key])):
            errors.append(f'"{key}" must be a list of strings')
    for size in data.get("size_categories") or []:
        if size not in SIZE_CATEGORIES:
            errors.append(f'"size_categories" has an unknown value "{size}"')
    if "license" in data and not isinstance(data["license"], (str, list)):
        errors.append('"license" must be a string')
    for config in data.get("configs") or []:
        if not isinstance(config, dict) or "config_name" not in config:
            errors.append('"configs" items need a "config_name"')
    return errors


class HubServer(ThreadingHTTPServer):
    """The server; `endpoint` is its URL, `state` what it holds. Bound to 127.0.0.1 only."""

    daemon_threads = True

    def __init__(self, token: str):
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = HubState(token)
        self.endpoint = f"http://127.0.0.1:{self.server_address[1]}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
