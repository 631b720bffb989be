"""Reading files edgeconform did not write: manifests and chart output, topology files, reports to merge,
kubeconfigs. Every command reads them through here first, so one hostile file is refused the same way
everywhere, before anything else looks at it:

- a file must be a regular file (not a FIFO or a device) of at most ``file_bytes``; a folder may hold at most
  ``files`` such files and ``folder_bytes`` bytes; a symlink in a folder may not lead out of it, nor in a loop; what
  a name starting with a dot names inside a folder (.git, .terraform) is not walked;
- what a program edgeconform runs on the input writes (helm template, kustomize build) is read as a file is, and
  the program runs with the file size limit;
- text must be UTF-8 without NUL bytes;
- YAML may hold at most ``documents`` documents and ``nodes`` nodes (counted across the files one command reads)
  and nest collections at most ``depth`` deep; its aliases may add at most ``alias_nodes`` nodes: a "billion
  laughs" file is refused while it is composed, before anything is expanded (each alias adds the size of the node
  it names, counted once per node), and an alias inside the collection it names is refused too. JSON is held to
  the same depth;
- a reader states the shape of the fields it reads (``shapes``), and every field of another shape is named.

    limits      Limits, what EDGECONFORM_LIMITS raises, Refused, and clean/shown for quoting input in messages
    files       files and folders: regular files, sizes, counts, symlinks, dot-names; UTF-8 text without NUL; what a
                program edgeconform ran wrote (read_output, file_size_limit)
    parsing     YAML (documents, nodes, depth, aliases; the line of every key) and JSON (depth, long numbers)
    shapes      the shape a reader expects of the fields it reads, every wrong field named

A refusal is a Refused: one line naming the file, the line where known, what was hit and how to proceed. The
entry points turn it into their own error (TopologyError, ImportFailed, ReportError), so every command exits 2.
The limits sit far above any real input (the deepest CRD we know nests 35 deep, the largest chart output is
4 MB); ``EDGECONFORM_LIMITS="file_bytes=33554432,depth=100"`` raises them for an unusual input that is trusted.
"""

from .files import decode, file_size_limit, files, member, read_bytes, read_output, read_text
from .limits import ENVIRONMENT, MIB, Limits, Refused, clean, clean_lines, limits, shown
from .parsing import Budget, Parsed, json_loads, key_lines, load_json, yaml_document, yaml_documents
from .shapes import ANY, SCALAR, Each, IfMapping, Required, shape_problems

__all__ = ["ANY", "ENVIRONMENT", "MIB", "SCALAR", "Budget", "Each", "IfMapping", "Limits", "Parsed", "Refused", "clean_lines",
           "Required", "clean", "decode", "file_size_limit", "files", "json_loads", "key_lines", "limits", "load_json", "member",
           "read_bytes", "read_output", "read_text", "shape_problems", "shown", "yaml_document", "yaml_documents"]
