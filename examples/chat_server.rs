//! A TCP chat server over loopback: one actor per connection, under a
//! `DynamicSupervisor`. A connection that panics ends alone; the others
//! keep chatting.
//!
//! Run it with `cargo run --example chat_server`. The panic also prints
//! Rust's usual panic message on stderr. `tests/chat_server.rs` drives the
//! same server with real sockets.
// ANCHOR: all
// ANCHOR: uses
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;

use keel::prelude::*;
use keel::{ActorId, DynamicSupervisor, MonitorRef, Restart, SupervisorRef, SystemEvent};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
// ANCHOR_END: uses

// ANCHOR: room
/// The room: who is here, by name. It monitors every member, so a
/// connection that ends, however it ends, leaves the room.
#[derive(Actor, Clone, Debug, Default)]
#[actor(on_down = Self::down)]
pub struct Room {
    members: HashMap<ActorId, Member>,
}

#[derive(Clone, Debug)]
struct Member {
    name: String,
    conn: ActorRef<Connection>,
}

impl Room {
    /// Tells a line to every member but `except`.
    fn broadcast(&self, except: Option<ActorId>, line: &str) {
        for (id, member) in &self.members {
            if Some(*id) != except {
                // A member that ended meanwhile hands the line back; its
                // `Down` is on the way, and it leaves then.
                let _ = member.conn.deliver(line.to_string());
            }
        }
    }

    async fn down(&mut self, monitor: MonitorRef, _reason: ExitReason, _ctx: &mut Context<Self>) {
        if let Some(member) = self.members.remove(&monitor.target().id()) {
            self.broadcast(None, &format!("* {} left", member.name));
        }
    }
}

#[keel::messages]
impl Room {
    /// Adds a member and says how many are here (an ask: the connection
    /// knows it is in when the answer comes).
    #[message]
    fn join(&mut self, name: String, conn: ActorRef<Connection>, ctx: &mut Context<Self>) -> usize {
        ctx.monitor(conn.any());
        self.broadcast(None, &format!("* {name} joined"));
        self.members.insert(conn.id(), Member { name, conn });
        self.members.len()
    }

    /// Passes a member's line to the others.
    #[message]
    fn say(&mut self, from: ActorId, text: String) {
        if let Some(member) = self.members.get(&from) {
            let line = format!("{}: {text}", member.name);
            self.broadcast(Some(from), &line);
        }
    }
}
// ANCHOR_END: room

// ANCHOR: connection
/// One client: the actor owns the socket's writing half; a task reads
/// lines and tells them to the actor, one message per line.
#[derive(Actor, Debug)]
pub struct Connection {
    room: ActorRef<Room>,
    name: Option<String>,
    writer: Option<OwnedWriteHalf>,
    reader: Option<AbortOnDrop>,
}

/// Aborts a task when dropped: the reading task ends with the connection's
/// state, however the connection ends (a panic included).
#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Connection {
    fn new(room: ActorRef<Room>) -> Connection {
        Connection {
            room,
            name: None,
            writer: None,
            reader: None,
        }
    }

    async fn write(&mut self, line: &str) {
        if let Some(writer) = &mut self.writer {
            if writer
                .write_all(format!("{line}\n").as_bytes())
                .await
                .is_err()
            {
                // The client is gone; the reading task sees it too and
                // tells us `closed`.
                self.writer = None;
            }
        }
    }
}

#[keel::messages]
impl Connection {
    /// Hands the connection its socket.
    #[message]
    fn attach(&mut self, stream: TcpStream, ctx: &mut Context<Self>) {
        let (read, write) = stream.into_split();
        self.writer = Some(write);
        let me = ctx.myself().clone();
        self.reader = Some(AbortOnDrop(tokio::spawn(async move {
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if me.line(line).is_err() {
                    return; // the connection has ended
                }
            }
            let _ = me.closed();
        })));
    }

    /// A line from the client: the first is its name, `/crash` is a bug,
    /// anything else is said to the room.
    #[message]
    async fn line(&mut self, text: String, ctx: &mut Context<Self>) {
        if self.name.is_none() {
            let me = ctx.myself().clone();
            match self.room.join(text.clone(), me).await {
                Ok(here) => self.write(&format!("welcome, {text} ({here} here)")).await,
                Err(_) => ctx.stop(), // no room: nothing to serve
            }
            self.name = Some(text);
        } else if text == "/crash" {
            panic!("a bug in the /crash command");
        } else {
            let _ = self.room.say(ctx.myself().id(), text);
        }
    }

    /// A line for the client.
    #[message]
    async fn deliver(&mut self, line: String) {
        self.write(&line).await;
    }

    /// The client closed its end.
    #[message]
    fn closed(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
// ANCHOR_END: connection

// ANCHOR: tree
/// The server's tree. `RestForOne`: if the room crashes, the connections
/// (started after it) are restarted too, since the new room knows none of
/// them; a connection's crash touches nothing else.
#[derive(Debug, Supervisor)]
#[supervisor(strategy = RestForOne)]
pub struct Chat {
    room: Room,
    #[child(supervisor)]
    connections: DynamicSupervisor,
}

/// A running server.
#[derive(Debug)]
pub struct ChatServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The connections' supervisor.
    pub connections: SupervisorRef,
    _accept: AbortOnDrop,
}

impl ChatServer {
    /// Starts the tree and listens on a free loopback port.
    pub async fn start(system: &System) -> io::Result<ChatServer> {
        let chat = Chat {
            room: Room::default(),
            connections: DynamicSupervisor::builder()
                .max_children(1000)
                .build()
                .expect("valid flags"),
        };
        let chat = chat.supervise(system).await.map_err(io::Error::other)?;
        let room = chat.room.expect("the room runs");
        let connections = chat.connections.expect("the connections' supervisor runs");

        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accept = tokio::spawn(accept(listener, room, connections.clone()));
        Ok(ChatServer {
            addr,
            connections,
            _accept: AbortOnDrop(accept),
        })
    }
}

/// Starts a connection actor for every client.
async fn accept(listener: TcpListener, room: ActorRef<Room>, connections: SupervisorRef) {
    let mut n = 0u64;
    while let Ok((stream, _)) = listener.accept().await {
        n += 1;
        let room = room.clone();
        // Temporary: a connection that ends is not restarted (its socket is
        // gone with it); the client reconnects if it wants to.
        let spec = ChildSpec::worker(format!("conn-{n}"), move || Connection::new(room.clone()))
            .restart(Restart::Temporary);
        // `None` or an error (too many clients, or the server is stopping):
        // the stream is dropped, which closes it.
        if let Ok(Some(child)) = connections.start_child(spec).await {
            if let Some(conn) = child.downcast::<Connection>() {
                let _ = conn.attach(stream);
            }
        }
    }
}
// ANCHOR_END: tree

// ANCHOR: client
/// A scripted client, as a user's chat program would be.
#[derive(Debug)]
pub struct Client {
    name: String,
    lines: Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects and sends the name.
    pub async fn connect(addr: SocketAddr, name: &str) -> io::Result<Client> {
        let (read, writer) = TcpStream::connect(addr).await?.into_split();
        let mut client = Client {
            name: name.to_string(),
            lines: BufReader::new(read).lines(),
            writer,
        };
        client.say(name).await?;
        Ok(client)
    }

    /// Sends one line.
    pub async fn say(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_all(format!("{text}\n").as_bytes()).await
    }

    /// Waits for the next line (`None`: the server closed the connection).
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        self.lines.next_line().await
    }

    /// Prints the next line this client gets.
    async fn show_next(&mut self) -> io::Result<()> {
        match self.next_line().await? {
            Some(line) => println!("{:>5} sees: {line}", self.name),
            None => println!("{:>5} sees: the server closed the connection", self.name),
        }
        Ok(())
    }
}
// ANCHOR_END: client

#[tokio::main]
async fn main() -> io::Result<()> {
    // ANCHOR: start
    let system = System::new();
    let mut events = system.events();
    let server = ChatServer::start(&system).await?;
    println!("listening on loopback");

    let mut alice = Client::connect(server.addr, "alice").await?;
    alice.show_next().await?;
    let mut bob = Client::connect(server.addr, "bob").await?;
    bob.show_next().await?;
    alice.show_next().await?;
    let mut carol = Client::connect(server.addr, "carol").await?;
    carol.show_next().await?;
    alice.show_next().await?;
    bob.show_next().await?;

    alice.say("hello").await?;
    bob.show_next().await?;
    carol.show_next().await?;
    // ANCHOR_END: start

    // ANCHOR: crash
    // Carol's connection hits a bug: its actor panics, and its socket
    // closes with it.
    carol.say("/crash").await?;
    carol.show_next().await?;
    let exited = events
        .next_matching(|e| matches!(e, SystemEvent::ChildExited { .. }))
        .await;
    if let Some(SystemEvent::ChildExited { child, reason, .. }) = exited {
        println!("supervisor: {child} exited ({reason}), not restarted");
    }
    // The room heard it through its monitor; the others keep chatting.
    alice.show_next().await?;
    bob.show_next().await?;
    bob.say("still here").await?;
    alice.show_next().await?;
    let counts = server.connections.count_children().await.unwrap();
    println!("connections: {}", counts.active);
    // ANCHOR_END: crash

    system.shutdown().await;
    Ok(())
}
// ANCHOR_END: all
