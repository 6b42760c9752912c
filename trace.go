package h2kit

import (
	"github.com/h2kit/h2kit/frame"
	"github.com/h2kit/h2kit/hpack"
)

// Tracer sees every frame the engine sends and receives, as it is
// produced or parsed; tools print them (see frame.AppendSummary). The
// frame, its slices and fields are valid only during the call. For a
// header block, fields are passed with the frame that completes it
// (END_HEADERS); other calls get nil fields.
type Tracer interface {
	FrameReceived(h frame.Header, f frame.Frame, fields []hpack.Field)
	FrameSent(h frame.Header, f frame.Frame, fields []hpack.Field)
}
