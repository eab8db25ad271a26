"""A network namespace joined to the root namespace by a veth pair on a free link-local /30: what the suites use
to put a server or a load generator behind a real link (make test-faults, make test-shards). Needs root."""
import re
import subprocess


def free_pair(seed):
    """The two addresses of a /30 in 169.254.0.0/16 that no route as specific as a /30 covers, starting from one
    chosen by `seed` (a PID). A fixed pair broke a CI run: a suite killed before its cleanup had left its link and
    route behind, the new pair's route came second, and connections went to the old, empty namespace (refused)."""
    routes = subprocess.run(["ip", "-4", "-o", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    taken = set()
    for third, fourth, bits in re.findall(r"169\.254\.(\d+)\.(\d+)(?:/(\d+))?", routes):
        if int(bits or 32) >= 30:
            taken.add((int(third) << 6) | (int(fourth) >> 2))
    for step in range(1 << 14):
        block = (seed + step) % (1 << 14)
        third, first = block >> 6, (block & 63) << 2
        if third not in (0, 169, 255) and block not in taken:  # 169.254.169.254: cloud metadata
            return f"169.254.{third}.{first + 1}", f"169.254.{third}.{first + 2}"
    raise RuntimeError("no free /30 in 169.254.0.0/16")


def run(command, namespace=None, check=True, env=None):
    """Runs a command (inside `namespace` when given) and returns its output; raises with its message on failure."""
    full = (["ip", "netns", "exec", namespace] if namespace else []) + list(command)
    result = subprocess.run(full, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(full)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def create(namespace, host_link, inner_link, host_address, inner_address):
    """Makes `namespace` with its loopback up and `inner_link` at `inner_address`, paired with `host_link` at
    `host_address` in the root namespace."""
    run(["ip", "netns", "add", namespace])
    run(["ip", "link", "add", host_link, "type", "veth", "peer", "name", inner_link])
    run(["ip", "link", "set", inner_link, "netns", namespace])
    run(["ip", "addr", "add", f"{host_address}/30", "dev", host_link])
    run(["ip", "link", "set", host_link, "up"])
    run(["ip", "addr", "add", f"{inner_address}/30", "dev", inner_link], namespace=namespace)
    run(["ip", "link", "set", inner_link, "up"], namespace=namespace)
    run(["ip", "link", "set", "lo", "up"], namespace=namespace)


def remove(namespace, host_link):
    """Removes the pair (deleting one end deletes both) and the namespace; quiet when they are gone already."""
    subprocess.run(["ip", "link", "del", host_link], capture_output=True)
    subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
