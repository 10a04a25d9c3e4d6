"""Scale drivers behind one interface (after Frigate's detector plugins): each driver owns its
config, the configs form a union tagged on `type`, and `open_scale` builds one or says why not.

A driver returns raw readings; edge/calibration.py turns them into kilograms.
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zerowaste.edge.trace import TraceSpec, generate_trace, read_trace

log = logging.getLogger(__name__)


class ScaleError(RuntimeError):
    pass


@dataclass(frozen=True)
class Reading:
    t: float  # seconds since the epoch, device clock (the simulated scale: the trace's clock)
    raw: float


class ScaleReader(ABC):
    @abstractmethod
    def read(self) -> Reading:
        """The next reading; raises EOFError when a recorded trace ends, ScaleError on hardware trouble."""

    def close(self) -> None:  # noqa: B027 - most drivers have nothing to release
        pass


class _DriverConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HX711Config(_DriverConfig):
    type: Literal["hx711"]
    dout_pin: int = Field(description="BCM number of the DOUT pin")
    pd_sck_pin: int = Field(description="BCM number of the PD_SCK pin")
    channel: Literal["A", "B"] = "A"
    gain: Literal[32, 64, 128] = 128
    samples: int = Field(default=3, ge=1, le=20, description="raw samples per reading (median)")


class SerialConfig(_DriverConfig):
    type: Literal["serial"]
    port: str = Field(description="device such as /dev/ttyUSB0, or a pyserial URL")
    baudrate: int = 9600
    timeout_s: float = 2.0


class SimulatedConfig(_DriverConfig):
    type: Literal["simulated"]
    trace: Path | None = Field(default=None, description="CSV of t_s,kg to replay; default: generate one")
    generate: TraceSpec = TraceSpec()
    raw_zero: float = Field(default=8_400.0, description="raw counts of the empty platform")
    raw_per_kg: float = Field(default=-21_000.0, description="raw counts per kg (HX711-like, sign included)")
    realtime: bool = Field(default=False, description="sleep to follow the trace's clock")
    start: float | None = Field(
        default=None, description="epoch seconds of the trace's t=0 (default: it ends now; realtime: it starts now)"
    )


DriverConfig = Annotated[HX711Config | SerialConfig | SimulatedConfig, Field(discriminator="type")]


class HX711Scale(ScaleReader):
    """HX711 on the Pi's GPIO through the `hx711` package (pip install 'zerowaste[pi]')."""

    def __init__(self, config: HX711Config) -> None:
        try:
            from hx711 import HX711  # type: ignore[import-not-found,unused-ignore]  # only on a Pi with the HAT
        except ImportError as exc:  # also RPi.GPIO refusing to load off a Pi
            raise ScaleError(f"the hx711 driver needs a Raspberry Pi with pip install 'zerowaste[pi]': {exc}") from exc
        self._dev = HX711(
            dout_pin=config.dout_pin, pd_sck_pin=config.pd_sck_pin, channel=config.channel, gain=config.gain
        )
        self._dev.reset()
        self._samples = config.samples

    def read(self) -> Reading:
        values = self._dev.get_raw_data(num_measures=self._samples)
        if not values:
            raise ScaleError("HX711 returned no data (check wiring and pins)")
        return Reading(time.time(), float(statistics.median(values)))

    def close(self) -> None:
        try:
            import RPi.GPIO as GPIO  # type: ignore[import-not-found,unused-ignore]  # noqa: N814 - only on a Pi

            GPIO.cleanup()
        except ImportError:
            pass


# "ST,GS,+  12.345kg", "  1234 g", "W: -0.250 KG", or a bare "12.345": one weight per line. A number
# without a unit counts only when it is the whole line, so banners such as "SCALE v2" are skipped.
_WEIGHT = re.compile(r"([-+]?\s*\d+(?:[.,]\d+)?)\s*(kg|g)\b", re.IGNORECASE)
_BARE = re.compile(r"^\s*([-+]?\s*\d+(?:[.,]\d+)?)\s*$")


def parse_weight_line(line: str) -> float | None:
    """kg from one line of a serial scale, or None for lines without a weight."""
    m = _WEIGHT.search(line) or _BARE.match(line)
    if m is None:
        return None
    value = float(m.group(1).replace(" ", "").replace(",", "."))
    unit = m.group(2) if m.re is _WEIGHT else "kg"
    return value / 1000 if unit.lower() == "g" else value


class SerialScale(ScaleReader):
    """A scale that prints weights on a serial line (pyserial; any pyserial URL works, loop:// in tests)."""

    def __init__(self, config: SerialConfig, port: Any = None) -> None:
        import serial

        self._port = port or serial.serial_for_url(config.port, baudrate=config.baudrate, timeout=config.timeout_s)

    def read(self) -> Reading:
        for _ in range(20):  # skip a few header or status lines, not forever
            line = self._port.readline()
            if not line:
                raise ScaleError("the serial scale sent nothing (timeout): is it on and at this baud rate?")
            kg = parse_weight_line(line.decode("ascii", errors="replace"))
            if kg is not None:
                return Reading(time.time(), kg)
        raise ScaleError("the serial scale sends lines without a weight")

    def close(self) -> None:
        self._port.close()


class SimulatedScale(ScaleReader):
    """Replays a weight trace (recorded CSV or generated) as raw counts, so calibration is exercised too."""

    def __init__(self, config: SimulatedConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        samples = read_trace(config.trace) if config.trace else generate_trace(config.generate).samples
        self._it: Iterator[tuple[float, float]] = iter(samples)
        self._cfg = config
        # Without a start, a replay at full speed ends now (its readings are the past days, which the
        # service accepts); stamped from now, most of it lay in the future and was rejected.
        # A real-time replay starts now and follows the clock.
        last_t = samples[-1][0] if samples and not config.realtime else 0.0
        self._start = config.start if config.start is not None else time.time() - last_t
        self._sleep = sleep
        self._wall0 = time.monotonic()

    def read(self) -> Reading:
        try:
            t, kg = next(self._it)
        except StopIteration:
            raise EOFError("the simulated trace has ended") from None
        if self._cfg.realtime:
            ahead = t - (time.monotonic() - self._wall0)
            if ahead > 0:
                self._sleep(ahead)
        return Reading(self._start + t, self._cfg.raw_zero + kg * self._cfg.raw_per_kg)


def open_scale(config: HX711Config | SerialConfig | SimulatedConfig) -> ScaleReader:
    drivers: dict[str, Callable[[Any], ScaleReader]] = {
        "hx711": HX711Scale,
        "serial": SerialScale,
        "simulated": SimulatedScale,
    }
    try:
        return drivers[config.type](config)
    except KeyError:
        raise ScaleError(f"unknown scale driver {config.type!r}; known: {', '.join(drivers)}") from None
