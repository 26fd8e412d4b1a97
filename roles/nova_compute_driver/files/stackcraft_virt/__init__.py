# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""Container hypervisors for nova, kept in the stackcraft.openstack
collection: a nova-compute driver per container engine (Docker; LXD or
Incus), installed by the role nova_compute_driver and loaded by nova as
nova.virt.stackcraft_<engine> (nova imports compute drivers from its own
package only; a one-line module there imports the driver from here).

- plumbing: the instance's network, a veth pair from the container's
  network namespace to the bridge or Open vSwitch port Neutron's agent
  serves, addressed from the port's fixed IPs;
- docker_engine: the Docker engine's side (images from glance tarballs,
  containers, their state and logs);
- driver: the nova ComputeDriver on top of an engine.
"""
