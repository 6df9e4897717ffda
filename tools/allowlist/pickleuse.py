"""How a pickle uses each name it imports, read with pickletools (never loaded).

`uses(data)` walks the opcodes with a small symbolic stack and returns
{(module, name): set of uses}, where a use is

* "call"    - the name is called with the file's arguments (REDUCE, INST, OBJ);
* "rebuild" - an instance of the class is rebuilt without calling it
              (NEWOBJ/NEWOBJ_EX, copyreg._reconstructor, copyreg.__newobj__[_ex]);
* "value"   - the name is only referenced (stored in a container, a state, an
              argument), never called while loading.

These are the three uses modelvet's pickle engine tells apart.
"""

import io
import pickletools

RECONSTRUCTORS = {
    ("copyreg", "_reconstructor"),
    ("copy_reg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"),
}

_MARK = object()
_OTHER = object()


class _G:
    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key


class _Str:
    __slots__ = ("s",)

    def __init__(self, s):
        self.s = s


class _Tuple:
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)


_STRINGS = {
    "SHORT_BINUNICODE",
    "BINUNICODE",
    "BINUNICODE8",
    "UNICODE",
    "STRING",
    "BINSTRING",
    "SHORT_BINSTRING",
}


def uses(data):
    """The names `data` (one pickle, or several back to back) imports, and how.

    Parsing stops quietly at the first malformed opcode: what was read stays."""
    out = {}

    def note(item, use):
        if isinstance(item, _G):
            out.setdefault(item.key, set()).add(use)

    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        start = stream.tell()
        try:
            _one(stream, note)
        except Exception:
            break
        if stream.tell() == start:
            break
    return out


def _one(stream, note):
    stack = []
    memo = {}

    def pop_mark():
        items = []
        while stack:
            x = stack.pop()
            if x is _MARK:
                break
            items.append(x)
        items.reverse()
        return items

    for op, arg, _pos in pickletools.genops(stream):
        name = op.name
        if name in ("GLOBAL", "INST"):
            module, _, attr = arg.partition(" ")
            g = _G((module, attr))
            note(g, "value")
            if name == "GLOBAL":
                stack.append(g)
            else:
                pop_mark()
                note(g, "call")
                stack.append(_OTHER)
        elif name == "STACK_GLOBAL":
            attr = stack.pop()
            module = stack.pop()
            if isinstance(attr, _Str) and isinstance(module, _Str):
                g = _G((module.s, attr.s))
                note(g, "value")
                stack.append(g)
            else:
                stack.append(_OTHER)
        elif name in _STRINGS:
            s = arg if isinstance(arg, str) else arg.decode("latin-1")
            stack.append(_Str(s))
        elif name == "MARK":
            stack.append(_MARK)
        elif name == "EMPTY_TUPLE":
            stack.append(_Tuple([]))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = stack[-n:]
            del stack[-n:]
            stack.append(_Tuple(items))
        elif name == "TUPLE":
            stack.append(_Tuple(pop_mark()))
        elif name == "OBJ":
            items = pop_mark()
            if items:
                note(items[0], "call")
            stack.append(_OTHER)
        elif name == "REDUCE":
            args = stack.pop()
            func = stack.pop()
            note(func, "call")
            if isinstance(func, _G) and func.key in RECONSTRUCTORS and isinstance(args, _Tuple):
                # _reconstructor(cls, base, state) / __newobj__(cls, *args)
                targets = args.items[:2] if func.key[1] == "_reconstructor" else args.items[:1]
                for t in targets:
                    note(t, "rebuild")
            stack.append(_OTHER)
        elif name == "NEWOBJ":
            stack.pop()
            note(stack.pop(), "rebuild")
            stack.append(_OTHER)
        elif name == "NEWOBJ_EX":
            stack.pop()
            stack.pop()
            note(stack.pop(), "rebuild")
            stack.append(_OTHER)
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1]
        elif name == "MEMOIZE":
            memo[len(memo)] = stack[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo.get(arg, _OTHER))
        elif name == "STOP":
            return
        else:
            # Generic: pop what the opcode consumes, push what it produces.
            before = op.stack_before
            if pickletools.markobject in before:
                pop_mark()
                before = [b for b in before if b not in (pickletools.markobject, pickletools.stackslice)]
            for _ in before:
                stack.pop()
            for _ in op.stack_after:
                stack.append(_OTHER)
