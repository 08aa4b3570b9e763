"""The decision core's seams are typed: a bot's params by its config model, the divergence
result as a reading, bot names and modes as enums."""

from __future__ import annotations

import pytest

from shared.bots.cooldown.bot import CooldownConfig
from shared.bots.divergence import DivergenceConfig, DivergenceReading
from shared.bots.sizing.bot import SizingConfig
from shared.bots.trend_guard.bot import TrendGuardConfig
from shared.contracts import Mode
from shared.signal.config import BotSettings, load_bot_settings


def test_params_of_returns_the_typed_params_of_the_bot_configured_by_the_model() -> None:
    settings = load_bot_settings()
    assert isinstance(settings.params_of(TrendGuardConfig), TrendGuardConfig)
    assert settings.divergence is settings.params_of(DivergenceConfig)
    assert settings.cooldown is settings.params_of(CooldownConfig)
    assert settings.divergence.horizon_hours == 12 and settings.cooldown.cooldown_hours == 24


def test_params_of_a_model_no_bot_uses_is_a_key_error() -> None:
    class Unused(DivergenceConfig):
        pass

    with pytest.raises(KeyError, match="Unused"):
        load_bot_settings().params_of(Unused)


def test_params_of_refuses_params_of_another_model() -> None:
    settings = load_bot_settings()
    swapped = BotSettings(bots={**settings.bots, "sizing": (Mode.ADVISORY, CooldownConfig())})
    with pytest.raises(TypeError, match="sizing: params are CooldownConfig, not SizingConfig"):
        swapped.params_of(SizingConfig)


def test_divergence_reading_from_numbers() -> None:
    reading = DivergenceReading.of({"divergence": -0.9, "threshold": 0.6, "p_up": 0.4})
    assert reading == DivergenceReading(divergence=-0.9, threshold=0.6)
    assert reading.rank == pytest.approx(1.5)
    assert DivergenceReading.of({"narrative_mass": 0.0, "move_z": 0.1}) is None
