"""The two evaluators behind one :func:`compile`: a checked rule set in, a :class:`Program`
out that tells which rules a flat fact fires.

``"durable"`` compiles to the durable_rules C engine (:mod:`._durable`, the one module
that touches it); ``"python"`` to one generated Python function
(:mod:`.python_evaluator`, the fast path and the oracle the other is proven against).
durable_rules is installed on Python 3.11 and 3.12 only (it does not import on 3.13 or
newer), so :data:`DEFAULT_BACKEND`, the evaluator used when none is named, is ``"durable"``
there and ``"python"`` from 3.13 on. Where ``"durable"`` is asked for and durable_rules
cannot be imported, it falls back to the Python evaluator, says so once (a log record and
a ``RuntimeWarning``), and the program's :attr:`~Program.backend` tells which evaluator
decides.
"""

from __future__ import annotations

import logging
import sys
import threading
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ._durable import DurableProgram, DurableUnavailable
from .python_evaluator import compile_python

if TYPE_CHECKING:
    from .loading import RuleSet

__all__ = ["DEFAULT_BACKEND", "Backend", "Program", "compile"]

Backend = Literal["durable", "python"]
"""The evaluator that decides: the durable_rules C engine or the generated Python one."""

# The same line as the dependency marker in pyproject.toml
# (``durable-rules>=2.0.28; python_version < '3.13'``): the C engine is installed, and
# imports, on Python 3.11 and 3.12 only.
DEFAULT_BACKEND: Backend = "durable" if sys.version_info < (3, 13) else "python"
"""The evaluator used when none is named: ``"durable"`` on Python 3.11 and 3.12,
``"python"`` on 3.13 and newer, where durable_rules does not import."""

log = logging.getLogger("oneContact")
_fallback_warned = threading.Event()


class Program(Protocol):
    """A rule set compiled for one evaluator. Safe to share between threads."""

    @property
    def backend(self) -> Backend:
        """The evaluator that decides: ``"durable"`` or ``"python"``."""
        ...

    def fired(self, fact: Mapping[str, Any]) -> list[int]:
        """Indices (ascending, in rule order) of the rules whose condition holds for the
        flat *fact* (see ``engine.flatten``)."""
        ...


def compile(ruleset: RuleSet, backend: Backend) -> Program:
    """The rules of *ruleset* compiled for *backend* (``"durable"`` or ``"python"``).

    ``"durable"`` where durable_rules cannot be imported gives the Python evaluator, with
    one warning per process. Raises ValueError for any other backend.
    """
    conditions = [rule.condition for rule in ruleset.rules]
    if backend == "durable":
        try:
            return DurableProgram(conditions)
        except DurableUnavailable as exc:
            if not _fallback_warned.is_set():
                _fallback_warned.set()
                message = (
                    f"durable_rules cannot be imported here ({exc}); "
                    "oneContact uses its Python evaluator instead"
                )
                log.warning(message)
                # 4: the caller of Engine.from_directory, as before the choice moved here.
                warnings.warn(message, RuntimeWarning, stacklevel=4)
            return compile_python(conditions)
    if backend == "python":
        return compile_python(conditions)
    raise ValueError(f"backend must be 'durable' or 'python', not {backend!r}")
