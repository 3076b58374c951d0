//! The feed against stand-in servers that misbehave: a JSON-RPC endpoint that drops
//! requests and a websocket that disconnects. The keeper's copy reconnects, heals from a
//! snapshot and serves reads without polling (docs/keeper.md, "Design: fresh data without
//! polling").

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountDeserialize;
use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_account::Account;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use zero_loss::state::MarginAccount;
use zl_keeper::chain::Chain;
use zl_keeper::feed::{self, Feed, FeedChain, FeedConfig};
use zl_keeper::fees::FeePolicy;
use zl_keeper::rpc::RpcChain;

/// What the stand-in cluster holds.
#[derive(Default)]
struct Cluster {
    slot: u64,
    accounts: BTreeMap<Pubkey, Account>,
    /// Requests to drop (close without an answer) before answering again.
    drop_next: usize,
    /// Requests answered, by method.
    served: BTreeMap<String, usize>,
}

type Shared = Arc<Mutex<Cluster>>;

fn ui(a: &Account) -> Value {
    json!({
        "lamports": a.lamports,
        "data": [base64::engine::general_purpose::STANDARD.encode(&a.data), "base64"],
        "owner": a.owner.to_string(),
        "executable": a.executable,
        "rentEpoch": a.rent_epoch,
        "space": a.data.len(),
    })
}

fn answer(c: &mut Cluster, method: &str, params: &Value) -> Value {
    *c.served.entry(method.to_string()).or_default() += 1;
    match method {
        "getSlot" => json!(c.slot),
        "getProgramAccounts" => Value::Array(
            c.accounts
                .iter()
                .filter(|(_, a)| a.owner == zero_loss::ID)
                .map(|(k, a)| json!({"pubkey": k.to_string(), "account": ui(a)}))
                .collect(),
        ),
        "getMultipleAccounts" => {
            let keys = params[0].as_array().cloned().unwrap_or_default();
            let value: Vec<Value> = keys
                .iter()
                .map(|k| {
                    let k: Pubkey = k.as_str().unwrap().parse().unwrap();
                    c.accounts.get(&k).map_or(Value::Null, ui)
                })
                .collect();
            json!({"context": {"slot": c.slot}, "value": value})
        }
        other => panic!("the stand-in RPC does not serve {other}"),
    }
}

/// A JSON-RPC endpoint over HTTP/1.1, one request a connection.
async fn serve_rpc(listener: TcpListener, cluster: Shared) {
    loop {
        let (mut s, _) = listener.accept().await.unwrap();
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let (_, body) = zl_keeper::metrics::read_request(&mut s, 1 << 20).await;
            if body.is_empty() {
                return;
            }
            let req: Value = serde_json::from_slice(&body).unwrap();
            let reply = {
                let mut c = cluster.lock().unwrap();
                if c.drop_next > 0 {
                    c.drop_next -= 1;
                    None
                } else {
                    let method = req["method"].as_str().unwrap().to_string();
                    let result = answer(&mut c, &method, &req["params"]);
                    Some(json!({"jsonrpc": "2.0", "id": req["id"], "result": result}))
                }
            };
            // A dropped request: the connection closes with no answer.
            let Some(reply) = reply else { return };
            let body = reply.to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
            let _ = s.shutdown().await;
        });
    }
}

/// What the test tells the websocket side: push a program notification, or hang up.
enum Push {
    Program {
        key: Pubkey,
        slot: u64,
        account: Account,
    },
    HangUp,
}

/// A pubsub endpoint: answers subscriptions, then relays pushes to the open connection.
async fn serve_ws(
    listener: TcpListener,
    mut pushes: mpsc::UnboundedReceiver<Push>,
    connections: Arc<AtomicUsize>,
) {
    loop {
        let (s, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
        connections.fetch_add(1, Ordering::SeqCst);
        let mut program_sub = None;
        let mut next_id = 0u64;
        loop {
            tokio::select! {
                msg = ws.next() => {
                    let Some(Ok(Message::Text(text))) = msg else { break };
                    let req: Value = serde_json::from_str(&text).unwrap();
                    next_id += 1;
                    if req["method"] == "programSubscribe" {
                        program_sub = Some(next_id);
                    }
                    let reply = json!({"jsonrpc": "2.0", "id": req["id"], "result": next_id});
                    ws.send(Message::text(reply.to_string())).await.unwrap();
                }
                push = pushes.recv() => match push {
                    Some(Push::Program { key, slot, account }) => {
                        let note = json!({
                            "jsonrpc": "2.0",
                            "method": "programNotification",
                            "params": {
                                "result": {
                                    "context": {"slot": slot},
                                    "value": {"pubkey": key.to_string(), "account": ui(&account)}
                                },
                                "subscription": program_sub.expect("subscribed"),
                            }
                        });
                        ws.send(Message::text(note.to_string())).await.unwrap();
                    }
                    Some(Push::HangUp) | None => {
                        // Gone without a close handshake, as a dropped connection is.
                        drop(ws);
                        break;
                    }
                }
            }
        }
    }
}

fn margin(market: &Pubkey, collateral: u64) -> Account {
    Account {
        lamports: 1_000_000,
        data: zl_keeper::bench_scan::margin_bytes(*market, collateral, 1),
        owner: zero_loss::ID,
        executable: false,
        rent_epoch: 0,
    }
}

fn collateral(feed: &Feed, key: &Pubkey) -> Option<u64> {
    let a = feed.get(key)?;
    Some(
        MarginAccount::try_deserialize(&mut a.data.as_slice())
            .ok()?
            .collateral,
    )
}

/// Waits up to 20 s for `f`.
async fn until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..400 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn the_feed_reconnects_heals_and_serves_reads_without_polling() {
    let market = Pubkey::new_unique();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let cluster: Shared = Arc::new(Mutex::new(Cluster {
        slot: 10,
        ..Cluster::default()
    }));
    {
        let mut c = cluster.lock().unwrap();
        c.accounts.insert(a, margin(&market, 1));
        // The market account: any data; it is a fixed account of the feed.
        c.accounts.insert(
            market,
            Account {
                lamports: 1,
                data: vec![7; 8],
                owner: zero_loss::ID,
                executable: false,
                rent_epoch: 0,
            },
        );
    }
    let rpc_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rpc_url = format!("http://{}", rpc_listener.local_addr().unwrap());
    let ws_url = format!("ws://{}", ws_listener.local_addr().unwrap());
    tokio::spawn(serve_rpc(rpc_listener, cluster.clone()));
    let (push, pushes) = mpsc::unbounded_channel();
    let connections = Arc::new(AtomicUsize::new(0));
    tokio::spawn(serve_ws(ws_listener, pushes, connections.clone()));

    let feed = Feed::new();
    let rpc = Arc::new(RpcClient::new_with_commitment(
        rpc_url.clone(),
        CommitmentConfig::confirmed(),
    ));
    let mut cfg = FeedConfig::new(ws_url, vec![market], vec![market]);
    cfg.backoff = Duration::from_millis(50);
    cfg.max_backoff = Duration::from_millis(400);
    let task = tokio::spawn(feed::run(feed.clone(), rpc, cfg));

    // Connected, subscribed and healed from the first snapshot.
    until("the first snapshot", || {
        feed.usable() && collateral(&feed, &a) == Some(1)
    })
    .await;
    assert!(
        feed.get(&market).is_some(),
        "the fixed accounts are healed too"
    );

    // A notification moves the copy without a request.
    let served = |m: &str| cluster.lock().unwrap().served.get(m).copied().unwrap_or(0);
    let gpa_before = served("getProgramAccounts");
    push.send(Push::Program {
        key: a,
        slot: 20,
        account: margin(&market, 2),
    })
    .unwrap();
    until("the notification", || collateral(&feed, &a) == Some(2)).await;
    assert_eq!(feed.stats().notifications, 1);
    assert_eq!(served("getProgramAccounts"), gpa_before);

    // The socket drops; meanwhile `a` changes, `b` opens, and the RPC drops the next two
    // requests. The feed reconnects, retries, and heals both from a snapshot.
    {
        let mut c = cluster.lock().unwrap();
        c.slot = 30;
        c.accounts.insert(a, margin(&market, 3));
        c.accounts.insert(b, margin(&market, 9));
        c.drop_next = 2;
    }
    push.send(Push::HangUp).unwrap();
    until("the reconnection and heal", || {
        feed.usable() && collateral(&feed, &a) == Some(3) && collateral(&feed, &b) == Some(9)
    })
    .await;
    let stats = feed.stats();
    assert!(stats.reconnects >= 1, "{stats:?}");
    assert!(connections.load(Ordering::SeqCst) >= 2);
    assert_eq!(
        cluster.lock().unwrap().drop_next,
        0,
        "the dropped requests were retried"
    );

    // Reads come from the copy: no getProgramAccounts, no getMultipleAccounts.
    let mut chain = FeedChain {
        rpc: RpcChain::with_client(
            RpcClient::new_with_commitment(rpc_url, CommitmentConfig::confirmed()),
            Keypair::new(),
            FeePolicy::default(),
            0,
        ),
        feed: Some(feed.clone()),
    };
    let (gpa, gma) = (served("getProgramAccounts"), served("getMultipleAccounts"));
    let mut found = chain.margin_accounts(&market).await.unwrap();
    found.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(found, want);
    let got = chain.get_accounts(&[a, b, market]).await.unwrap();
    assert!(got.iter().all(Option::is_some));
    assert_eq!(
        (served("getProgramAccounts"), served("getMultipleAccounts")),
        (gpa, gma),
        "served from the feed"
    );
    // What the feed does not hold is fetched.
    let unknown = Pubkey::new_unique();
    assert_eq!(chain.get_accounts(&[unknown]).await.unwrap(), vec![None]);
    assert_eq!(served("getMultipleAccounts"), gma + 1);
    task.abort();
}
