//! JSON-RPC over stdio with the protocol's framing (`Content-Length` headers), on two threads:
//! one reads stdin into a channel, one writes what the server sends. A message that is not
//! JSON gets a `ParseError` response (id `null`) and the session goes on, where `lsp-server`'s
//! own transport would stop reading; its message types are used as they are.

use lsp_server::{ErrorCode, Message, RequestId, Response};
use std::io::{BufRead, Write};
use std::sync::mpsc::{Receiver, Sender};

enum Out {
    Message(Message),
    /// Already serialized (a response whose id is `null`, which `Message` cannot hold).
    Raw(String),
}

pub struct Connection {
    pub receiver: Receiver<Message>,
    sender: Sender<Out>,
}

pub struct Threads {
    writer: std::thread::JoinHandle<()>,
}

impl Threads {
    /// Waits until everything sent is written (the reader is left to end with stdin).
    pub fn join(self) {
        let _ = self.writer.join();
    }
}

pub fn stdio() -> (Connection, Threads) {
    let (to_writer, from_server) = std::sync::mpsc::channel::<Out>();
    let (to_server, receiver) = std::sync::mpsc::channel::<Message>();
    let errors = to_writer.clone();
    std::thread::Builder::new()
        .name("async-lint-lsp-reader".into())
        .spawn(move || read_loop(&mut std::io::stdin().lock(), &to_server, &errors))
        .expect("spawn the reader thread");
    let writer = std::thread::Builder::new()
        .name("async-lint-lsp-writer".into())
        .spawn(move || {
            let mut out = std::io::stdout().lock();
            for m in from_server {
                let text = match m {
                    Out::Message(m) => {
                        let mut v = serde_json::to_value(&m).unwrap_or_default();
                        if let Some(o) = v.as_object_mut() {
                            o.insert("jsonrpc".into(), "2.0".into());
                        }
                        v.to_string()
                    }
                    Out::Raw(s) => s,
                };
                if write!(out, "Content-Length: {}\r\n\r\n{text}", text.len())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return;
                }
            }
        })
        .expect("spawn the writer thread");
    (
        Connection {
            receiver,
            sender: to_writer,
        },
        Threads { writer },
    )
}

/// Reads framed messages until stdin ends or its framing breaks.
fn read_loop(input: &mut impl BufRead, to_server: &Sender<Message>, errors: &Sender<Out>) {
    read_messages(input, to_server, errors);
    // The editor is gone: nothing in flight is wanted any more.
    crate::driver::cancel::request();
}

fn read_messages(input: &mut impl BufRead, to_server: &Sender<Message>, errors: &Sender<Out>) {
    while let Some(body) = read_frame(input) {
        match serde_json::from_slice::<Message>(&body) {
            Ok(m) => {
                let exit = matches!(&m, Message::Notification(n) if n.method == "exit");
                // What the analysis in flight (if any) read is out of date: it stops, and the
                // server starts over once it has applied this message.
                if matches!(&m, Message::Notification(n) if outdates_analysis(&n.method)) {
                    crate::driver::cancel::request();
                }
                if to_server.send(m).is_err() || exit {
                    return;
                }
            }
            Err(e) => {
                // JSON but not a message (a request without a method): an invalid request,
                // answered under its id when it has one; not JSON: a parse error.
                let value = serde_json::from_slice::<serde_json::Value>(&body).ok();
                let (code, what) = match &value {
                    Some(_) => (ErrorCode::InvalidRequest, "invalid request"),
                    None => (ErrorCode::ParseError, "parse error"),
                };
                let id = value.as_ref().and_then(|v| v.get("id")).cloned();
                let text = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": id.unwrap_or(serde_json::Value::Null),
                    "error": {"code": code as i32, "message": format!("{what}: {e}")},
                });
                let _ = errors.send(Out::Raw(text.to_string()));
            }
        }
    }
}

/// Whether a notification changes what an analysis reads (a buffer, the files, the
/// configuration) or ends the session.
fn outdates_analysis(method: &str) -> bool {
    matches!(
        method,
        "textDocument/didOpen"
            | "textDocument/didChange"
            | "textDocument/didClose"
            | "textDocument/didSave"
            | "workspace/didChangeWatchedFiles"
            | "workspace/didChangeConfiguration"
            | "exit"
    )
}

/// The largest message read (a whole file's text in `didOpen` is far below it).
const MAX_MESSAGE: usize = 256 << 20;

/// One message's body; None at the end of the input or when the headers make no sense.
fn read_frame(input: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut len: Option<usize> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            if len.is_some() {
                break;
            }
            continue;
        }
        let (name, value) = l.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            len = Some(value.trim().parse().ok()?);
        }
    }
    // A length no editor sends (a broken or hostile stream) ends the session rather than
    // asking for that much memory.
    let len = len.filter(|&n| n <= MAX_MESSAGE)?;
    let mut body = vec![0; len];
    input.read_exact(&mut body).ok()?;
    Some(body)
}

impl Connection {
    pub fn send(&self, m: Message) {
        let _ = self.sender.send(Out::Message(m));
    }

    /// Waits for `initialize` (answering any other request with `ServerNotInitialized`).
    pub fn initialize_start(&self) -> Result<(RequestId, serde_json::Value), String> {
        loop {
            match self.receiver.recv() {
                Ok(Message::Request(r)) if r.method == "initialize" => return Ok((r.id, r.params)),
                Ok(Message::Request(r)) => self.send(Message::Response(Response::new_err(
                    r.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet".into(),
                ))),
                Ok(Message::Notification(n)) if n.method == "exit" => {
                    return Err("exit before initialize".into());
                }
                Ok(_) => {}
                Err(_) => return Err("the client closed the connection".into()),
            }
        }
    }

    pub fn initialize_finish(
        &self,
        id: RequestId,
        result: serde_json::Value,
    ) -> Result<(), String> {
        self.send(Message::Response(Response::new_ok(id, result)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_bad_messages() {
        let ok = r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{}}"#;
        let input = format!(
            "Content-Length: {}\r\n\r\n{ok}Content-Length: 5\r\n\r\n{{bad}}Content-Length: 17\r\n\r\n{{\"id\":7,\"x\":true}}",
            ok.len()
        );
        let (tx, rx) = std::sync::mpsc::channel();
        let (etx, erx) = std::sync::mpsc::channel();
        read_messages(&mut std::io::Cursor::new(input.into_bytes()), &tx, &etx);
        assert!(matches!(rx.try_recv(), Ok(Message::Request(r)) if r.method == "m"));
        let errors: Vec<String> = erx
            .try_iter()
            .map(|o| match o {
                Out::Raw(s) => s,
                Out::Message(_) => String::new(),
            })
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("\"id\":null") && errors[0].contains("-32700"));
        assert!(errors[1].contains("\"id\":7") && errors[1].contains("-32600"));
        // An absurd length ends the reading, without asking for the memory.
        let huge = "Content-Length: 99999999999999\r\n\r\n{}";
        let (tx, rx) = std::sync::mpsc::channel();
        read_messages(
            &mut std::io::Cursor::new(huge.as_bytes().to_vec()),
            &tx,
            &etx,
        );
        assert!(rx.try_recv().is_err());
    }
}
