#!/usr/bin/python3
"""Render a config drive's network_data.json to ENI with cloud-init's own code,
offline, into ROOT: the same job `v6agent apply --root` does for the network.

    cloudinit-render.py DRIVE ROOT

convert_net_json -> network_state -> eni.Renderer, as cloud-init does at boot
(cloudinit/sources/helpers/openstack.py and cloudinit/net/eni.py).
"""
import json
import os
import sys

from cloudinit.net import eni, network_state
from cloudinit.sources.helpers import openstack

drive, root = sys.argv[1], sys.argv[2]
with open(os.path.join(drive, "openstack", "latest", "network_data.json")) as f:
    network_json = json.load(f)
macs = {link["ethernet_mac_address"]: "eth%d" % i for i, link in enumerate(network_json["links"]) if link.get("ethernet_mac_address")}
config = openstack.convert_net_json(network_json, known_macs=macs)
state = network_state.parse_net_config_data(config)
eni.Renderer({"eni_path": "etc/network/interfaces.d/50-cloud-init", "netrules_path": None}).render_network_state(state, target=root)
