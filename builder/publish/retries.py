"""Failures of a publish: which are worth another attempt (`is_transient`), what to tell the
user (`explain`), and keeping the token out of every message (`scrub`)."""

from __future__ import annotations

from builder.publish.plan import PublishOptions

RETRY_STATUS = frozenset({408, 412, 429, 500, 502, 503, 504})


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def root_cause(error: BaseException) -> BaseException:
    """The HTTP or network error behind `error` (the client wraps upload failures), or itself."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    for item in _chain(error):
        if isinstance(item, (HfHubHTTPError, httpx2.TransportError)):
            return item
    return error


#: Calls the client already retries with backoff itself (pre-upload and LFS transfers).
_CLIENT_RETRIED = ("/preupload/", "/info/lfs/", "/lfs-upload/")


def is_transient(error: BaseException) -> bool:
    """Worth another attempt: a network failure or a 408/412/429/5xx answer, except from a call
    the client already retried (uploads), so that waits do not multiply."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    cause = root_cause(error)
    request = getattr(cause, "request", None) if isinstance(cause, httpx2.TransportError) else \
        getattr(getattr(cause, "response", None), "request", None)
    url = str(getattr(request, "url", "") or "")
    if getattr(request, "method", "") == "PUT" or any(part in url for part in _CLIENT_RETRIED):
        return False
    if isinstance(cause, httpx2.TransportError):
        return True
    return isinstance(cause, HfHubHTTPError) and cause.response is not None \
        and cause.response.status_code in RETRY_STATUS


def explain(error: BaseException, options: PublishOptions, endpoint: str) -> str:
    """One sentence on what went wrong and what to do."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    uploading = next((str(e) for e in _chain(error) if str(e).startswith("Error while uploading")), "")
    error = root_cause(error)
    status = getattr(getattr(error, "response", None), "status_code", None)
    detail = " ".join(f"{uploading} {error}".split())
    if isinstance(error, httpx2.TransportError):
        return (f"cannot reach the Hub at {endpoint} ({type(error).__name__}: {detail}). Check the "
                "network or HF_ENDPOINT, then publish again.")
    if status == 401:
        return ("the Hub rejected the token (401 Unauthorized). Set HF_TOKEN to a token with write "
                "access, or log in again with `hf auth login`.")
    if status == 403:
        return (f"the token may not write to {options.repo_id} (403 Forbidden). Use a token with "
                "write access to that namespace.")
    if isinstance(error, RepositoryNotFoundError):
        return (f"the repository {options.repo_id} was not found or is not accessible with this "
                "token. Check --repo-id and the token's permissions.")
    if isinstance(error, ValueError) and "metadata" in detail:
        return (f"the Hub rejected the card's metadata ({detail}). Fix the `publish` section of the "
                "recipe and rebuild.")
    if isinstance(error, HfHubHTTPError):
        said = " ".join(f"{uploading} {error.server_message or error}".split())
        url = getattr(error.response, "url", None) if error.response is not None else None
        where = f" to {getattr(error.response.request, 'method', '')} {url}" if url else ""
        return (f"the Hub answered HTTP {status}{where}: {said}. Publish again later; if it keeps "
                f"failing, check the Hub's status ({endpoint}).")
    return f"{type(error).__name__}: {detail}"


def scrub(text: str, token: str | None) -> str:
    """`text` without the token (should any library put it in a message)."""
    return text.replace(token, "***") if token else text


def short(error: BaseException) -> str:
    """A failed attempt in a word or two: the HTTP status, or the error's type."""
    error = root_cause(error)
    status = getattr(getattr(error, "response", None), "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__
