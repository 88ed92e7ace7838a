"""ecoinvent (and premise scenario databases) as the background of a study.

``spec``: the study's choice (``background = "ecoinvent-3.10-cutoff"``, scenario years and weights);
``mapping``: the versioned table from bw_mllca's gateway activities to ecoinvent activities and the
catalog regions' ecoinvent location chains; ``links``: a gateway resolved in the user's database;
``hardware``: the hardware bill of materials relinked to it; ``gateways``: what the foreground links
to; ``setup``: the check at setup; ``report``: what outputs say of the background; ``standin``: a
database built from the published activity names with made-up exchanges, for tests without an
ecoinvent licence.
"""
