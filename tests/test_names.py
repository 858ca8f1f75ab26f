"""Names and organisations in every script are accepted as typed; what can spoof or break a display is not."""
from __future__ import annotations

import pytest

from conftest import post_sign_on

from widget import state


@pytest.mark.parametrize("name", [
    "علی‌رضا",  # Persian: a zero-width non-joiner, a key of every Persian keyboard
    "क्‍षमा",  # Devanagari with a zero-width joiner
    "ശ്രീ‍കുമാർ",  # Malayalam chillu with a joiner
    "👩‍🌾 Awa Ndiaye",  # an emoji made of three characters joined
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Soil Association Scotland",  # a subdivision flag: tag characters
    "Ахмед ‏(مزرعة)‏",  # right-to-left marks that only mark a direction
])
def test_real_names_in_every_script_are_accepted_as_typed(app, client, site, name):
    response = post_sign_on(client, site.key, f"name-{abs(hash(name))}@example.org", name=name, organization=name)
    assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    [(stored_name, stored_org)] = state(app).store.query("SELECT name, organization FROM signons")
    assert stored_name == stored_org == name


@pytest.mark.parametrize("name", [
    "Amina\u202eevil",  # right-to-left override: reverses what follows on the page
    "Amina\u2066x\u2069",  # bidirectional isolates
    "Amina\x07",  # a C0 control
    "Am\x85ina",  # a C1 control (in the middle: trimming would remove it at an end)
    "Amina\ufeffDiallo",  # a byte order mark in the middle
    "Amina\u2028Diallo",  # a line separator in a one-line answer
])
def test_characters_that_spoof_or_break_a_display_are_refused(app, client, site, name):
    response = post_sign_on(client, site.key, "spoof@example.org", name=name)
    assert response.status_code == 400
    assert "Please remove the invisible control characters" in response.get_data(as_text=True)
    assert state(app).store.query("SELECT COUNT(*) FROM signons")[0][0] == 0
