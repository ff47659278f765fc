"""A tiny SMTP server that accepts every message and counts it (for benches and service tests;
stdlib only).

Speaks just enough SMTP for Django's backend: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
Run it in a thread with `SmtpSink().start()`; `count` is the number of messages received and
`messages` their raw text. A test can make it misbehave like a real relay: `refuse_sender`
("550 5.7.1 …" answered to MAIL FROM), `refuse_recipient` (to RCPT TO), `refuse_message` (after
DATA), `delay` (seconds before accepting a message), or stop it (connections refused) and start
another on the same port."""

from __future__ import annotations

import asyncio
import threading


class SmtpSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, delay: float = 0.0) -> None:
        self.host, self.port = host, port
        self.count = 0
        self.messages: list[str] = []
        self.receiving = 0  # messages whose DATA has started but not been answered
        self.delay = delay
        self.refuse_sender: str | None = None
        self.refuse_recipient: str | None = None
        self.refuse_message: str | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None

    def start(self) -> SmtpSink:
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._session, self.host, self.port, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(f"{line}\r\n".encode())

        say("220 sink ESMTP ready")
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb == b"EHLO":
                    say("250-sink")
                    say("250 8BITMIME")
                elif verb == b"HELO":
                    say("250 sink")
                elif verb == b"MAIL" and self.refuse_sender:
                    say(self.refuse_sender)
                elif verb == b"RCPT" and self.refuse_recipient:
                    say(self.refuse_recipient)
                elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    say("250 OK")
                elif verb == b"DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    lines = []
                    while (data := await reader.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(data.decode(errors="replace"))
                    with self._lock:
                        self.receiving += 1
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    with self._lock:
                        self.receiving -= 1
                    if self.refuse_message:
                        say(self.refuse_message)
                    else:
                        with self._lock:
                            self.count += 1
                            self.messages.append("".join(lines))
                        say("250 OK: queued")
                elif verb == b"QUIT":
                    say("221 Bye")
                    await writer.drain()
                    break
                else:
                    say("502 Command not implemented")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
