#!/usr/bin/env python3
"""The stage layering, checked (CTest build.layering).

Usage: layering_check.py STAGES_TXT DAEMON_DIR

STAGES_TXT is the graph cmake/stages.cmake declares, as CMake wrote it into the
build directory: one `stage: dep dep ...` line per stage. Fails (exit 1) when
  - a file of daemon/<stage>/ includes "<other>/..." and <other> is not in
    <stage>'s DEPS (what it includes, it must link);
  - a folder of daemon/ with code is not a declared stage;
  - the declared graph has a cycle (stages.cmake already refuses a DEPS entry
    declared below its stage; this holds the file it reads to it too).
A declared dependency that no file includes is printed as a note: the library
links more than its code uses.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"/]+)/[^"]*"', re.MULTILINE)


def read_graph(path):
    graph = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        stage, _, deps = line.partition(":")
        graph[stage.strip()] = deps.split()
    return graph


def find_cycle(graph):
    """A list of stages that form a cycle (first == last), or None."""
    state = {}  # stage -> "open" while on the path, "done" once fully explored
    path = []

    def visit(stage):
        state[stage] = "open"
        path.append(stage)
        for dep in graph.get(stage, []):
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        path.pop()
        state[stage] = "done"
        return None

    for stage in sorted(graph):
        if stage not in state:
            cycle = visit(stage)
            if cycle:
                return cycle
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    graph = read_graph(argv[1])
    daemon = pathlib.Path(argv[2])
    problems = []
    for stage, deps in sorted(graph.items()):
        for dep in deps:
            if dep not in graph:
                problems.append(f"cmake/stages.cmake: stage {stage}: '{dep}' is not a stage")
    cycle = find_cycle(graph)
    if cycle:
        problems.append("cmake/stages.cmake: the stages form a cycle: " + " -> ".join(cycle))

    used = {stage: set() for stage in graph}
    for folder in sorted(p for p in daemon.iterdir() if p.is_dir()):
        files = sorted(f for f in folder.iterdir() if f.suffix in (".h", ".cc"))
        stage = folder.name
        if stage not in graph:
            if files:
                problems.append(f"daemon/{stage}/ is not a stage: declare it in cmake/stages.cmake")
            continue
        for f in files:
            text = f.read_text(errors="replace")
            for match in INCLUDE.finditer(text):
                target = match.group(1)
                if target == stage:
                    continue
                line = text.count("\n", 0, match.start()) + 1
                where = f"daemon/{stage}/{f.name}:{line}"
                if target not in graph:
                    problems.append(f'{where}: includes "{target}/...", which is not a stage')
                elif target not in graph[stage]:
                    problems.append(f'{where}: includes "{target}/...", but stage {stage} does not '
                                    f"depend on {target} (DEPS in cmake/stages.cmake)")
                else:
                    used[stage].add(target)

    for stage, deps in sorted(graph.items()):
        unused = [d for d in deps if d not in used[stage]]
        if unused and (daemon / stage).is_dir():
            print(f"note: stage {stage} declares {', '.join(unused)} but includes nothing of it")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"layering ok: {len(graph)} stages, every include declared, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
