//! Public reviews: published at completion by the client's choice, listed for anyone
//! without names, hidden by the order's manager (an event), the average derived from the
//! events; both backends, and `replay --verify` afterwards.

mod common;

use aggregates::Role;
use common::{accepted_order, delivered_and_completed, Backend, TestApp};
use serde_json::{json, Value};

async fn reviews(t: &TestApp) -> (Vec<Value>, Option<String>, Option<String>) {
    let r = t.call("GET", "/api/reviews", None, None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    (
        r.body.as_array().unwrap().clone(),
        r.header("x-total-count").map(str::to_string),
        r.header("x-rating-average").map(str::to_string),
    )
}

async fn a_published_review_is_listed_for_anyone_without_names(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (list, total, average) = reviews(&t).await;
    assert!(list.is_empty());
    assert_eq!((total.as_deref(), average), (Some("0"), None));

    let a = accepted_order(&t).await;
    delivered_and_completed(
        &t,
        &a,
        json!({"rating": 4, "review": "Clear and on time", "publish": true}),
    )
    .await;
    // Another order completed without publishing: not listed.
    let b = accepted_order(&t).await;
    delivered_and_completed(&t, &b, json!({"rating": 1, "review": "Private"})).await;
    t.workers_caught_up().await;

    let (list, total, average) = reviews(&t).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (total.as_deref(), average.as_deref()),
        (Some("1"), Some("4.00"))
    );
    let r = &list[0];
    assert_eq!(r["rating"], 4);
    assert_eq!(r["review"], "Clear and on time");
    assert_eq!(
        (r["work_type"].as_str(), r["subject"].as_str()),
        (Some("term_paper"), Some("History"))
    );
    assert!(r["at"].as_str().unwrap().starts_with("2026-03-02"));
    let text = r.to_string();
    for secret in [
        "Anna",
        "Ivan",
        "Maria",
        &a.client_id,
        &a.author_id,
        &a.order,
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The order's history says so.
    let events = t
        .get(&format!("/api/orders/{}/events", a.order), &a.client)
        .await
        .ok(200);
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "ReviewPublished"));
    // Out of range: 422.
    t.call("GET", "/api/reviews?per_page=0", None, None)
        .await
        .problem(422);
    t.call("GET", "/api/reviews?page=x", None, None)
        .await
        .problem(422);
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn the_orders_manager_hides_a_review_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let hide = format!("/api/reviews/{}/hide", a.order);
    // Nothing published yet: nothing to hide.
    t.post(&hide, &a.manager, json!({"reason": "spam"}))
        .await
        .problem(409);
    delivered_and_completed(
        &t,
        &a,
        json!({"rating": 5, "review": "Call me: +7 900 000", "publish": true}),
    )
    .await;
    t.workers_caught_up().await;
    assert_eq!(reviews(&t).await.0.len(), 1);

    // Who may not: the client and the author by role, another manager does not see it.
    t.post(&hide, &a.client, json!({"reason": "x"}))
        .await
        .problem(403);
    t.post(&hide, &a.author, json!({"reason": "x"}))
        .await
        .problem(403);
    let (_, other) = t.user(Role::Manager, "Other Manager").await;
    t.post(&hide, &other, json!({"reason": "x"}))
        .await
        .problem(404);
    t.post(&hide, &a.manager, json!({"reason": "  "}))
        .await
        .problem(422);
    let before = t.event_count().await;
    t.post(&hide, &a.manager, json!({"reason": "a phone number"}))
        .await
        .ok(200);
    assert_eq!(t.event_count().await, before + 1);
    t.post(&hide, &a.manager, json!({"reason": "again"}))
        .await
        .problem(409);
    assert_eq!(
        t.event_count().await,
        before + 1,
        "the second hide appended nothing"
    );
    t.workers_caught_up().await;
    let (list, total, average) = reviews(&t).await;
    assert!(list.is_empty());
    assert_eq!((total.as_deref(), average), (Some("0"), None));
    let events = t
        .get(&format!("/api/orders/{}/events", a.order), &a.manager)
        .await
        .ok(200);
    let hidden = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "ReviewHidden")
        .expect("the hide is an event");
    assert_eq!(hidden["data"]["reason"], "a phone number");
    // An unknown order.
    let unknown = format!("/api/reviews/{}/hide", uuid::Uuid::new_v4());
    t.post(&unknown, &a.manager, json!({"reason": "x"}))
        .await
        .problem(404);
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn the_average_follows_every_shown_review(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    for (rating, publish) in [(5, true), (4, true), (2, true), (1, false)] {
        let a = accepted_order(&t).await;
        delivered_and_completed(
            &t,
            &a,
            json!({"rating": rating, "review": "ok", "publish": publish}),
        )
        .await;
    }
    t.workers_caught_up().await;
    let (list, total, average) = reviews(&t).await;
    assert_eq!(list.len(), 3);
    assert_eq!(
        (total.as_deref(), average.as_deref()),
        (Some("3"), Some("3.67"))
    );
    // Newest first, and paged.
    let ratings: Vec<i64> = list.iter().map(|r| r["rating"].as_i64().unwrap()).collect();
    assert_eq!(ratings, [2, 4, 5]);
    let r = t
        .call("GET", "/api/reviews?per_page=2&page=2", None, None)
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["rating"], 5);
}

on_both!(
    a_published_review_is_listed_for_anyone_without_names,
    the_orders_manager_hides_a_review_once,
    the_average_follows_every_shown_review,
);
