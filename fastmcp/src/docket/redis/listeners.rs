//! The backend's listeners: the event channel (state changes, cancellations; it wakes every
//! watcher after a reconnect) and the strike stream.

use super::*;

pub(super) async fn listen_events(backend: std::sync::Weak<RedisBackend>) {
    let mut delay = Duration::from_millis(100);
    loop {
        let Some(b) = backend.upgrade() else { return };
        let (client, events_channel, cancel_channel) = (b.client.clone(), b.keys.k("events"), b.keys.k("cancel"));
        drop(b);
        let pubsub = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&events_channel).await?;
            pubsub.subscribe(&cancel_channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match pubsub.await {
            Ok(mut pubsub) => {
                delay = Duration::from_millis(100);
                // Changes made while the listener was away were not heard: every follower
                // looks again now rather than at its fallback poll.
                if let Some(b) = backend.upgrade() {
                    b.watchers.notify_all();
                }
                let mut stream = pubsub.on_message();
                while let Some(msg) = stream.next().await {
                    let Some(b) = backend.upgrade() else { return };
                    let payload: String = msg.get_payload().unwrap_or_default();
                    if msg.get_channel_name() == cancel_channel {
                        let _ = b.cancel_tx.send(payload);
                        continue;
                    }
                    let Ok(event) = serde_json::from_str::<Value>(&payload) else { continue };
                    if let Some(key) = event["key"].as_str() {
                        b.watchers.notify(key);
                    }
                    let (Some(key), Some(state)) =
                        (event["key"].as_str(), event["state"].as_str().and_then(RunState::parse))
                    else {
                        continue;
                    };
                    if state == RunState::Scheduled {
                        // Someone scheduled a run: look at the queue again soon.
                        b.next_due.store(0, Ordering::Relaxed);
                    }
                    let _ = b.events.send((key.to_owned(), state));
                }
            }
            Err(e) => tracing::warn!("docket event listener: {e}; retrying in {delay:?}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

pub(super) async fn follow_strikes(backend: std::sync::Weak<RedisBackend>) {
    let mut last = "0-0".to_owned();
    let mut delay = Duration::from_millis(100);
    loop {
        let Some(b) = backend.upgrade() else { return };
        let (client, stream, strikes) = (b.client.clone(), b.keys.k("strikes"), b.strikes.clone());
        drop(b);
        let result = async {
            let mut conn = manager(&client, Some(Duration::from_secs(40))).await?;
            loop {
                let reply: RValue = redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(100)
                    .arg("BLOCK")
                    .arg(30_000)
                    .arg("STREAMS")
                    .arg(&stream)
                    .arg(&last)
                    .query_async(&mut conn)
                    .await
                    .map_err(backend_err)?;
                for (id, strike, restore) in parse_strikes(reply) {
                    if let Some(strike) = strike {
                        strikes.apply(restore, strike);
                    }
                    last = id;
                }
                if backend.strong_count() == 0 {
                    return Ok::<_, DocketError>(());
                }
            }
        };
        match result.await {
            Ok(()) => return,
            Err(e) => tracing::debug!("strike follower: {e}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
