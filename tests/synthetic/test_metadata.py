"""SDV's detected metadata, corrected by `synthetic.columns`, on a real table."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.errors import DataError
from builder.synthetic.config import ColumnConfig
from builder.synthetic.metadata import detect, pii_columns, plain, sdtypes, without
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # imports SDV (~6 s, once per session)


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return pd.read_csv(REPO / "recipes/data/mlc_churn.csv.bz2").head(500)


def test_detection_guesses_pii_and_overrides_fix_it(churn) -> None:
    guessed = detect(churn, "churn", {})
    assert sdtypes(guessed)["voice_mail_plan"] == "email"  # SDV reads the name, not the values
    assert pii_columns(guessed) == ["state", "voice_mail_plan"]
    fixed = detect(churn, "churn", {"voice_mail_plan": ColumnConfig(sdtype="categorical"),
                                    "area_code": ColumnConfig(pii=True)})
    types = sdtypes(fixed)
    assert types["voice_mail_plan"] == "categorical" and types["churn"] == "categorical"
    assert types["area_code"] == "unknown"  # a categorical column made PII is faked by SDV
    assert pii_columns(fixed) == ["state", "area_code"]
    assert "state" not in sdtypes(without(fixed, ["state"]))


def test_overrides_name_their_key(churn) -> None:
    with pytest.raises(DataError, match=r"synthetic.columns: column 'voicemail' not found; .* "
                                        r"Did you mean 'voice_mail_plan'\?"):
        detect(churn, "churn", {"voicemail": ColumnConfig(sdtype="categorical")})
    with pytest.raises(DataError, match=r"synthetic.columns.state: SDV rejects sdtype 'colour'"):
        detect(churn, "churn", {"state": ColumnConfig(sdtype="colour")})


def test_plain_turns_categories_into_objects() -> None:
    frame = pd.DataFrame({"c": pd.Categorical(["a", None]), "s": pd.Series(["x", None],
                                                                           dtype="string")})
    out = plain(frame)
    assert out.dtypes.tolist() == [object, object] and out["c"].tolist() == ["a", None]
