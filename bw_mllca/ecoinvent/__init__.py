"""ecoinvent as a background: the versioned mapping from bw_mllca's gateway activities to ecoinvent
activities (``mapping``), the catalog regions' ecoinvent locations, and a stand-in database built
from the published activity names with made-up exchanges, for tests without an ecoinvent licence
(``standin``)."""
