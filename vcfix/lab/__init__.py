"""The lab: a simulated vCenter Server Appliance for rehearsals and tests."""
