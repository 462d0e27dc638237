"""Remote mode: reaching an appliance with the system OpenSSH client (``--host``).

- :mod:`~vcfix.appliance.ssh.target`: ``[USER@]HOST[:PORT]`` (pure);
- :mod:`~vcfix.appliance.ssh.errors`: what ssh printed -> one line naming the host (pure);
- :mod:`~vcfix.appliance.ssh.master`: the one authenticated connection per host;
- :mod:`~vcfix.appliance.ssh.transport`: :class:`~vcfix.appliance.transport.Transport` over it.
"""
