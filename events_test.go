package h2kit

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// TestEventsEveryKind: each queued record comes out of NextEvent as its
// event type, carrying every field it was queued with, in the order queued;
// then NextEvent returns nil and the queue starts over.
func TestEventsEveryKind(t *testing.T) {
	c := NewConn(Config{Role: Client}, time.Now())
	for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
	}
	fields := []hpack.Field{{Name: ":status", Value: "200"}}
	c.fields = append(c.fields, fields...) // where the events' fields are
	data := []byte("body")
	boom := errors.New("boom")
	prio := Priority{Urgency: 1, Incremental: true}
	settings := []frame.Setting{{ID: frame.SettingMaxFrameSize, Val: 1 << 15}}
	cases := []struct {
		rec  eventRec
		want Event
	}{
		{eventRec{kind: evRequest, streamID: 1, fieldsAt: 0, fieldsEnd: 1, endStream: true, prio: prio},
			&RequestReceived{StreamID: 1, Fields: fields, EndStream: true, Priority: prio}},
		{eventRec{kind: evResponse, streamID: 3, fieldsAt: 0, fieldsEnd: 1, endStream: true},
			&ResponseReceived{StreamID: 3, Fields: fields, EndStream: true}},
		{eventRec{kind: evInformational, streamID: 3, fieldsAt: 0, fieldsEnd: 1},
			&InformationalResponseReceived{StreamID: 3, Fields: fields}},
		{eventRec{kind: evTrailers, streamID: 5, fieldsAt: 0, fieldsEnd: 1},
			&TrailersReceived{StreamID: 5, Fields: fields}},
		{eventRec{kind: evData, streamID: 5, data: data, n: 10, endStream: true},
			&DataReceived{StreamID: 5, Data: data, FlowControlledLen: 10, EndStream: true}},
		{eventRec{kind: evReset, streamID: 7, code: frame.ErrCodeCancel, initiator: Remote, retry: true},
			&StreamReset{StreamID: 7, Code: frame.ErrCodeCancel, Initiator: Remote, Retryable: true}},
		{eventRec{kind: evPushPromise, streamID: 1, id2: 2, fieldsAt: 0, fieldsEnd: 1},
			&PushPromiseReceived{StreamID: 1, PromisedStreamID: 2, Fields: fields}},
		{eventRec{kind: evSettings, settings: settings}, &SettingsReceived{Settings: settings}},
		{eventRec{kind: evSettingsAck}, &SettingsAcked{}},
		{eventRec{kind: evPingAck, ping: [8]byte{1, 2}, rtt: time.Millisecond},
			&PingAcked{Data: [8]byte{1, 2}, RTT: time.Millisecond}},
		{eventRec{kind: evGoAway, id2: 9, code: frame.ErrCodeNo, data: data},
			&GoAwayReceived{LastStreamID: 9, Code: frame.ErrCodeNo, DebugData: data}},
		{eventRec{kind: evWindow, streamID: 11}, &WindowUpdated{StreamID: 11}},
		{eventRec{kind: evPriority, streamID: 13, prio: prio}, &PriorityUpdated{StreamID: 13, Priority: prio}},
		{eventRec{kind: evTerminated, err: boom}, &ConnectionTerminated{Err: boom}},
		{eventRec{kind: evRequestTooLarge, streamID: 5, endStream: true}, &RequestHeadersTooLarge{StreamID: 5, EndStream: true}},
	}
	for _, c2 := range cases {
		c.pushEvent(c2.rec)
	}
	for i, want := range cases {
		got := c.NextEvent()
		if !reflect.DeepEqual(got, want.want) {
			t.Errorf("event %d: got %#v, want %#v", i, got, want.want)
		}
	}
	if ev := c.NextEvent(); ev != nil {
		t.Fatalf("after the queue: %#v", ev)
	}
	if c.evHead != 0 || len(c.events) != 0 {
		t.Fatalf("queue not reset: head %d, len %d", c.evHead, len(c.events))
	}
}

// TestEventsReuseStorage: events are reused values, so queuing and taking
// them allocates nothing once the queue has grown (the contract: an event
// is valid until the next NextEvent or Receive).
func TestEventsReuseStorage(t *testing.T) {
	c := NewConn(Config{Role: Client}, time.Now())
	for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
	}
	c.pushEvent(eventRec{kind: evWindow, streamID: 1})
	first := c.NextEvent()
	c.pushEvent(eventRec{kind: evWindow, streamID: 3})
	if second := c.NextEvent(); second != first || second.(*WindowUpdated).StreamID != 3 {
		t.Fatalf("second WindowUpdated %p (%+v), first %p", second, second, first)
	}
	if n := testing.AllocsPerRun(1000, func() {
		c.pushEvent(eventRec{kind: evData, streamID: 1, n: 1})
		c.pushEvent(eventRec{kind: evWindow, streamID: 1})
		for ev := c.NextEvent(); ev != nil; ev = c.NextEvent() {
		}
	}); n != 0 {
		t.Errorf("%.1f allocations per two events", n)
	}
}
