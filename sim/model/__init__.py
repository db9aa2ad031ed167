"""The negotiation model as a package: one module per phase over the pure maths of sim.maths.

- core: set-up, the order of the phases (`NegotiationModel.step`), the end of the talks and the records;
- drafting: the chair's search for a text the rule would adopt (propose);
- decisions: how states evaluate texts, declare support, silence or objection, sign, and how the rule decides;
- concession: mandates moving toward the draft and trusted partners, with reciprocity;
- coalitions: defection and mergers;
- ratification: signatories ratifying within a window, and entry into force;
- events: scheduled shocks;
- explanation: why a run ended as it did.
"""

from .coalitions import Coalition
from .core import OUTCOMES, Log, NegotiationModel
from .drafting import SECRETARIAT

__all__ = ["NegotiationModel", "Coalition", "Log", "OUTCOMES", "SECRETARIAT"]
