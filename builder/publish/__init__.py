"""`builder publish` (a command, not a stage): put a build's Hub layout (`data/<recipe>/hub/`) in a Hub dataset repository.

One publish is one commit, planned against the repository's current state:
- shards under `data/` that are new or differ from the remote ones are uploaded; remote files
  under `data/` that the build no longer has are deleted; every other remote file (images,
  `.gitattributes`, the owner's extra files) is left alone;
- `README.md` is the build's card merged into the remote one (`card.merge_card`): metadata keys
  the build generates take the build's values, the owner's other keys are kept, and only the
  generated block between the `flywheel:begin`/`flywheel:end` markers is replaced;
- when nothing differs, no commit is made.

The commit's title names the recipe and the dataset's content hash. It is sent with the head the
plan was made against as `parent_commit`, so a push that happened in between makes it fail
instead of being overwritten. A commit is all or nothing on the Hub: a failed attempt changes
nothing there. Network errors and 429/5xx/412 answers are retried with backoff, re-planning
each time; after the last attempt, a repository or branch this run created is removed again.

The token comes from `HF_TOKEN` or the saved login (`huggingface_hub.get_token`); it is only
ever passed to the client, and scrubbed from any message shown.

Modules: `local` (the build on disk), `plan` (what one publish would change), `hub` (the Hub
calls), `endpoint` (where the Hub is), `retries` (which failures are worth another attempt, and
what to say), `upload` (plan, commit, retry), `commands` (the command line).
"""
