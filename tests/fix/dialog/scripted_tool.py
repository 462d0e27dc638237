#!/usr/bin/env python3
"""A fake interactive tool that plays a dialog script (JSON), for the driver tests.

Usage: scripted_tool.py SCRIPT.json [RECORD.jsonl]

The script is a list of steps, each a one-key object (plus options):
  {"say": "text"}                     print a line
  {"raw": "text"}                     print text as is (e.g. "\\rStatus : 35% Completed [..]")
  {"ask": "prompt: "}                 print the prompt, read a line (echoed by the pty)
      "valid": "REGEX", "error": "msg"   re-ask (after printing msg) until the answer matches
      "expect": "Y"                      exit 9 saying so if the answer differs
  {"secret": "prompt: ", "password_file": "PATH"}   read without echo (getpass); when the
      answer differs from the file's content: print "refuse" (if given) and re-ask, up to
      "tries" times, then print "exhausted" and exit 3 ("check": false accepts any answer,
      like fixsts.sh, which finds out later)
  {"sleep": 0.5}                      stay silent
  {"signal_pid": PID, "signal": "SIGINT"}   send that signal to PID (the test: vcfix's driver;
      the tool's parent is its supervisor)
  {"exit": 0}                         exit with this status
  {"stubborn": true}                  from now on ignore Ctrl-D and SIGTERM (sleep 30 s)
Reaching Ctrl-D (EOF) at a prompt prints "EOF" and exits 1. Every answer received is
appended to RECORD.jsonl as {"prompt": ..., "answer": ...}; passwords are recorded only as
"<right>" or "<wrong>".
"""

import getpass
import json
import os
import re
import signal
import sys
import time

STUBBORN = False


def record(path, prompt, answer):
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"prompt": prompt, "answer": answer}) + "\n")


def read_line(prompt):
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        eof()
    return line.rstrip("\r\n")


def eof():
    if STUBBORN:
        time.sleep(30)
    print("EOF")
    sys.exit(1)


def ask(step, rec):
    while True:
        answer = read_line(step["ask"])
        record(rec, step["ask"], answer)
        if "valid" in step and not re.fullmatch(step["valid"], answer):
            print(step.get("error", "invalid value"))
            continue
        if "expect" in step and answer != step["expect"]:
            print(f"unexpected answer {answer!r}")
            sys.exit(9)
        return


def secret(step, rec):
    with open(step["password_file"], encoding="utf-8") as handle:
        expected = handle.read()
    for _ in range(step.get("tries", 1)):
        try:
            answer = getpass.getpass(step["secret"])
        except EOFError:
            eof()
        ok = answer == expected
        record(rec, step["secret"], "<right>" if ok else "<wrong>")
        if ok or not step.get("check", True):
            return
        if "refuse" in step:
            print(step["refuse"])
    print(step.get("exhausted", "Reached max number of attempts, terminating operation."))
    sys.exit(3)


def main():
    global STUBBORN
    with open(sys.argv[1], encoding="utf-8") as handle:
        script = json.load(handle)
    rec = sys.argv[2] if len(sys.argv) > 2 else None
    for step in script:
        if "say" in step:
            print(step["say"], flush=True)
        elif "raw" in step:
            sys.stdout.write(step["raw"])
            sys.stdout.flush()
        elif "ask" in step:
            ask(step, rec)
        elif "secret" in step:
            secret(step, rec)
        elif "sleep" in step:
            time.sleep(step["sleep"])
        elif "signal_pid" in step:
            os.kill(step["signal_pid"], getattr(signal, step.get("signal", "SIGINT")))
        elif "stubborn" in step:
            STUBBORN = True
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        elif "exit" in step:
            sys.exit(step["exit"])
    sys.exit(0)


if __name__ == "__main__":
    main()
