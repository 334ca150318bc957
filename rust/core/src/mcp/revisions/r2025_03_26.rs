//! MCP revision 2025-03-26, compiled from the official schema.json by
//! tools/gen_mcp_schema.py. Do not edit by hand.

#[allow(unused_imports)]
use crate::mcp::schema::{Additional, Lit, Method, Revision, Schema, ANY};
#[allow(unused_imports)]
use crate::mcp::schema::{T_ARR, T_BOOL, T_INT, T_NULL, T_NUM, T_OBJ, T_STR};

pub static REVISION: Revision = Revision {
    version: "2025-03-26",
    nodes: &NODES,
    defs: &DEFS,
    methods: &METHODS,
};

static NODES: [Schema; 318] = [
    Schema {
        name: "Annotations",
        types: T_OBJ,
        props: &[("audience", 83), ("priority", 84)],
        ..ANY
    },
    Schema {
        name: "AudioContent",
        types: T_OBJ,
        props: &[
            ("annotations", 0),
            ("data", 85),
            ("mimeType", 86),
            ("type", 87),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "BlobResourceContents",
        types: T_OBJ,
        props: &[("blob", 88), ("mimeType", 89), ("uri", 90)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "CallToolRequest",
        types: T_OBJ,
        props: &[("method", 91), ("params", 94)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CallToolResult",
        types: T_OBJ,
        props: &[("_meta", 95), ("content", 97), ("isError", 98)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "CancelledNotification",
        types: T_OBJ,
        props: &[("method", 99), ("params", 101)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ClientCapabilities",
        types: T_OBJ,
        props: &[("experimental", 103), ("roots", 105), ("sampling", 106)],
        ..ANY
    },
    Schema {
        name: "ClientNotification",
        any_of: &[5, 23, 49, 69],
        ..ANY
    },
    Schema {
        name: "ClientRequest",
        any_of: &[21, 48, 35, 33, 56, 76, 82, 31, 17, 39, 3, 75, 10],
        ..ANY
    },
    Schema {
        name: "ClientResult",
        any_of: &[66, 13, 38],
        ..ANY
    },
    Schema {
        name: "CompleteRequest",
        types: T_OBJ,
        props: &[("method", 107), ("params", 112)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CompleteResult",
        types: T_OBJ,
        props: &[("_meta", 113), ("completion", 118)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "CreateMessageRequest",
        types: T_OBJ,
        props: &[("method", 119), ("params", 128)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CreateMessageResult",
        types: T_OBJ,
        props: &[
            ("_meta", 129),
            ("content", 130),
            ("model", 131),
            ("role", 67),
            ("stopReason", 132),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "Cursor",
        types: T_STR,
        ..ANY
    },
    Schema {
        name: "EmbeddedResource",
        types: T_OBJ,
        props: &[("annotations", 0), ("resource", 133), ("type", 134)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "EmptyResult",
        reference: Some(66),
        ..ANY
    },
    Schema {
        name: "GetPromptRequest",
        types: T_OBJ,
        props: &[("method", 135), ("params", 139)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "GetPromptResult",
        types: T_OBJ,
        props: &[("_meta", 140), ("description", 141), ("messages", 142)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ImageContent",
        types: T_OBJ,
        props: &[
            ("annotations", 0),
            ("data", 143),
            ("mimeType", 144),
            ("type", 145),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "Implementation",
        types: T_OBJ,
        props: &[("name", 146), ("version", 147)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "InitializeRequest",
        types: T_OBJ,
        props: &[("method", 148), ("params", 150)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "InitializeResult",
        types: T_OBJ,
        props: &[
            ("_meta", 151),
            ("capabilities", 71),
            ("instructions", 152),
            ("protocolVersion", 153),
            ("serverInfo", 20),
        ],
        required_mask: 0x1a,
        ..ANY
    },
    Schema {
        name: "InitializedNotification",
        types: T_OBJ,
        props: &[("method", 154), ("params", 156)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "JSONRPCBatchRequest",
        types: T_ARR,
        items: Some(157),
        ..ANY
    },
    Schema {
        name: "JSONRPCBatchResponse",
        types: T_ARR,
        items: Some(158),
        ..ANY
    },
    Schema {
        name: "JSONRPCError",
        types: T_OBJ,
        props: &[("error", 162), ("id", 59), ("jsonrpc", 163)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCMessage",
        any_of: &[29, 28, 165, 30, 26, 167],
        ..ANY
    },
    Schema {
        name: "JSONRPCNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 168), ("method", 169), ("params", 171)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "JSONRPCRequest",
        types: T_OBJ,
        props: &[
            ("id", 59),
            ("jsonrpc", 172),
            ("method", 173),
            ("params", 175),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCResponse",
        types: T_OBJ,
        props: &[("id", 59), ("jsonrpc", 176), ("result", 66)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListPromptsRequest",
        types: T_OBJ,
        props: &[("method", 177), ("params", 179)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListPromptsResult",
        types: T_OBJ,
        props: &[("_meta", 180), ("nextCursor", 181), ("prompts", 182)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesRequest",
        types: T_OBJ,
        props: &[("method", 183), ("params", 185)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesResult",
        types: T_OBJ,
        props: &[
            ("_meta", 186),
            ("nextCursor", 187),
            ("resourceTemplates", 188),
        ],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourcesRequest",
        types: T_OBJ,
        props: &[("method", 189), ("params", 191)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListResourcesResult",
        types: T_OBJ,
        props: &[("_meta", 192), ("nextCursor", 193), ("resources", 194)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListRootsRequest",
        types: T_OBJ,
        props: &[("method", 195), ("params", 197)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListRootsResult",
        types: T_OBJ,
        props: &[("_meta", 198), ("roots", 199)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ListToolsRequest",
        types: T_OBJ,
        props: &[("method", 200), ("params", 202)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListToolsResult",
        types: T_OBJ,
        props: &[("_meta", 203), ("nextCursor", 204), ("tools", 205)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "LoggingLevel",
        types: T_STR,
        enumeration: &[
            Lit::Str("alert"),
            Lit::Str("critical"),
            Lit::Str("debug"),
            Lit::Str("emergency"),
            Lit::Str("error"),
            Lit::Str("info"),
            Lit::Str("notice"),
            Lit::Str("warning"),
        ],
        ..ANY
    },
    Schema {
        name: "LoggingMessageNotification",
        types: T_OBJ,
        props: &[("method", 206), ("params", 209)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ModelHint",
        types: T_OBJ,
        props: &[("name", 210)],
        ..ANY
    },
    Schema {
        name: "ModelPreferences",
        types: T_OBJ,
        props: &[
            ("costPriority", 211),
            ("hints", 212),
            ("intelligencePriority", 213),
            ("speedPriority", 214),
        ],
        ..ANY
    },
    Schema {
        name: "Notification",
        types: T_OBJ,
        props: &[("method", 215), ("params", 217)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PaginatedRequest",
        types: T_OBJ,
        props: &[("method", 218), ("params", 220)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PaginatedResult",
        types: T_OBJ,
        props: &[("_meta", 221), ("nextCursor", 222)],
        ..ANY
    },
    Schema {
        name: "PingRequest",
        types: T_OBJ,
        props: &[("method", 223), ("params", 225)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ProgressNotification",
        types: T_OBJ,
        props: &[("method", 226), ("params", 230)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ProgressToken",
        types: T_STR | T_INT,
        ..ANY
    },
    Schema {
        name: "Prompt",
        types: T_OBJ,
        props: &[("arguments", 231), ("description", 232), ("name", 233)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "PromptArgument",
        types: T_OBJ,
        props: &[("description", 234), ("name", 235), ("required", 236)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "PromptListChangedNotification",
        types: T_OBJ,
        props: &[("method", 237), ("params", 239)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PromptMessage",
        types: T_OBJ,
        props: &[("content", 240), ("role", 67)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "PromptReference",
        types: T_OBJ,
        props: &[("name", 241), ("type", 242)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ReadResourceRequest",
        types: T_OBJ,
        props: &[("method", 243), ("params", 245)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ReadResourceResult",
        types: T_OBJ,
        props: &[("_meta", 246), ("contents", 248)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "Request",
        types: T_OBJ,
        props: &[("method", 249), ("params", 251)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "RequestId",
        types: T_STR | T_INT,
        ..ANY
    },
    Schema {
        name: "Resource",
        types: T_OBJ,
        props: &[
            ("annotations", 0),
            ("description", 252),
            ("mimeType", 253),
            ("name", 254),
            ("size", 255),
            ("uri", 256),
        ],
        required_mask: 0x28,
        ..ANY
    },
    Schema {
        name: "ResourceContents",
        types: T_OBJ,
        props: &[("mimeType", 257), ("uri", 258)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ResourceListChangedNotification",
        types: T_OBJ,
        props: &[("method", 259), ("params", 261)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ResourceReference",
        types: T_OBJ,
        props: &[("type", 262), ("uri", 263)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceTemplate",
        types: T_OBJ,
        props: &[
            ("annotations", 0),
            ("description", 264),
            ("mimeType", 265),
            ("name", 266),
            ("uriTemplate", 267),
        ],
        required_mask: 0x18,
        ..ANY
    },
    Schema {
        name: "ResourceUpdatedNotification",
        types: T_OBJ,
        props: &[("method", 268), ("params", 270)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "Result",
        types: T_OBJ,
        props: &[("_meta", 271)],
        ..ANY
    },
    Schema {
        name: "Role",
        types: T_STR,
        enumeration: &[Lit::Str("assistant"), Lit::Str("user")],
        ..ANY
    },
    Schema {
        name: "Root",
        types: T_OBJ,
        props: &[("name", 272), ("uri", 273)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "RootsListChangedNotification",
        types: T_OBJ,
        props: &[("method", 274), ("params", 276)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "SamplingMessage",
        types: T_OBJ,
        props: &[("content", 277), ("role", 67)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ServerCapabilities",
        types: T_OBJ,
        props: &[
            ("completions", 278),
            ("experimental", 280),
            ("logging", 281),
            ("prompts", 283),
            ("resources", 286),
            ("tools", 288),
        ],
        ..ANY
    },
    Schema {
        name: "ServerNotification",
        any_of: &[5, 49, 62, 65, 53, 81, 42],
        ..ANY
    },
    Schema {
        name: "ServerRequest",
        any_of: &[48, 12, 37],
        ..ANY
    },
    Schema {
        name: "ServerResult",
        any_of: &[66, 22, 36, 34, 57, 32, 18, 40, 4, 11],
        ..ANY
    },
    Schema {
        name: "SetLevelRequest",
        types: T_OBJ,
        props: &[("method", 289), ("params", 290)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "SubscribeRequest",
        types: T_OBJ,
        props: &[("method", 291), ("params", 293)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "TextContent",
        types: T_OBJ,
        props: &[("annotations", 0), ("text", 294), ("type", 295)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "TextResourceContents",
        types: T_OBJ,
        props: &[("mimeType", 296), ("text", 297), ("uri", 298)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "Tool",
        types: T_OBJ,
        props: &[
            ("annotations", 80),
            ("description", 299),
            ("inputSchema", 305),
            ("name", 306),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "ToolAnnotations",
        types: T_OBJ,
        props: &[
            ("destructiveHint", 307),
            ("idempotentHint", 308),
            ("openWorldHint", 309),
            ("readOnlyHint", 310),
            ("title", 311),
        ],
        ..ANY
    },
    Schema {
        name: "ToolListChangedNotification",
        types: T_OBJ,
        props: &[("method", 312), ("params", 314)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "UnsubscribeRequest",
        types: T_OBJ,
        props: &[("method", 315), ("params", 317)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(67),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("audio")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/call")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 92), ("name", 93)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[77, 19, 1, 15],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(96),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/cancelled")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("reason", 100), ("requestId", 59)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(102),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 104)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("completion/complete")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("name", 108), ("value", 109)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        any_of: &[55, 63],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("argument", 110), ("ref", 111)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(116),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("hasMore", 114), ("total", 115), ("values", 117)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("sampling/createMessage")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[
            Lit::Str("allServers"),
            Lit::Str("none"),
            Lit::Str("thisServer"),
        ],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(70),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(124),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("includeContext", 120),
            ("maxTokens", 121),
            ("messages", 122),
            ("metadata", 123),
            ("modelPreferences", 44),
            ("stopSequences", 125),
            ("systemPrompt", 126),
            ("temperature", 127),
        ],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[77, 19, 1],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        any_of: &[78, 2],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resource")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("prompts/get")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(136),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 137), ("name", 138)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(54),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("image")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("initialize")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("capabilities", 6),
            ("clientInfo", 20),
            ("protocolVersion", 149),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/initialized")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 155)],
        ..ANY
    },
    Schema {
        any_of: &[29, 28],
        ..ANY
    },
    Schema {
        any_of: &[30, 26],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("code", 159), ("data", 160), ("message", 161)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        any_of: &[29, 28],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(164),
        ..ANY
    },
    Schema {
        any_of: &[30, 26],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(166),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 170)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 50)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 174)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("prompts/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 178)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(51),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/templates/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 184)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(64),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 190)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(60),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("roots/list")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 50)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 196)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(68),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 201)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(79),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/message")),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("data", 207), ("level", 41), ("logger", 208)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(43),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 216)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 219)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ping")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 50)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 224)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/progress")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("message", 227),
            ("progress", 228),
            ("progressToken", 50),
            ("total", 229),
        ],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(52),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/prompts/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 238)],
        ..ANY
    },
    Schema {
        any_of: &[77, 19, 1, 15],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ref/prompt")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/read")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 244)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[78, 2],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(247),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 50)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 250)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 260)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ref/resource")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/updated")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 269)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/roots/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 275)],
        ..ANY
    },
    Schema {
        any_of: &[77, 19, 1],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(279),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 282)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 284), ("subscribe", 285)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 287)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("logging/setLevel")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("level", 41)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/subscribe")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 292)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("text")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(300),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(302),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("properties", 301), ("required", 303), ("type", 304)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/tools/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 313)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/unsubscribe")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 316)],
        required_mask: 0x1,
        ..ANY
    },
];

/// Definition names, sorted for binary search.
static DEFS: [(&str, u16); 83] = [
    ("Annotations", 0),
    ("AudioContent", 1),
    ("BlobResourceContents", 2),
    ("CallToolRequest", 3),
    ("CallToolResult", 4),
    ("CancelledNotification", 5),
    ("ClientCapabilities", 6),
    ("ClientNotification", 7),
    ("ClientRequest", 8),
    ("ClientResult", 9),
    ("CompleteRequest", 10),
    ("CompleteResult", 11),
    ("CreateMessageRequest", 12),
    ("CreateMessageResult", 13),
    ("Cursor", 14),
    ("EmbeddedResource", 15),
    ("EmptyResult", 16),
    ("GetPromptRequest", 17),
    ("GetPromptResult", 18),
    ("ImageContent", 19),
    ("Implementation", 20),
    ("InitializeRequest", 21),
    ("InitializeResult", 22),
    ("InitializedNotification", 23),
    ("JSONRPCBatchRequest", 24),
    ("JSONRPCBatchResponse", 25),
    ("JSONRPCError", 26),
    ("JSONRPCMessage", 27),
    ("JSONRPCNotification", 28),
    ("JSONRPCRequest", 29),
    ("JSONRPCResponse", 30),
    ("ListPromptsRequest", 31),
    ("ListPromptsResult", 32),
    ("ListResourceTemplatesRequest", 33),
    ("ListResourceTemplatesResult", 34),
    ("ListResourcesRequest", 35),
    ("ListResourcesResult", 36),
    ("ListRootsRequest", 37),
    ("ListRootsResult", 38),
    ("ListToolsRequest", 39),
    ("ListToolsResult", 40),
    ("LoggingLevel", 41),
    ("LoggingMessageNotification", 42),
    ("ModelHint", 43),
    ("ModelPreferences", 44),
    ("Notification", 45),
    ("PaginatedRequest", 46),
    ("PaginatedResult", 47),
    ("PingRequest", 48),
    ("ProgressNotification", 49),
    ("ProgressToken", 50),
    ("Prompt", 51),
    ("PromptArgument", 52),
    ("PromptListChangedNotification", 53),
    ("PromptMessage", 54),
    ("PromptReference", 55),
    ("ReadResourceRequest", 56),
    ("ReadResourceResult", 57),
    ("Request", 58),
    ("RequestId", 59),
    ("Resource", 60),
    ("ResourceContents", 61),
    ("ResourceListChangedNotification", 62),
    ("ResourceReference", 63),
    ("ResourceTemplate", 64),
    ("ResourceUpdatedNotification", 65),
    ("Result", 66),
    ("Role", 67),
    ("Root", 68),
    ("RootsListChangedNotification", 69),
    ("SamplingMessage", 70),
    ("ServerCapabilities", 71),
    ("ServerNotification", 72),
    ("ServerRequest", 73),
    ("ServerResult", 74),
    ("SetLevelRequest", 75),
    ("SubscribeRequest", 76),
    ("TextContent", 77),
    ("TextResourceContents", 78),
    ("Tool", 79),
    ("ToolAnnotations", 80),
    ("ToolListChangedNotification", 81),
    ("UnsubscribeRequest", 82),
];

/// Methods, sorted by name for binary search.
static METHODS: [Method; 24] = [
    Method {
        name: "completion/complete",
        notification: false,
        message: 10,
        result: Some(11),
    },
    Method {
        name: "initialize",
        notification: false,
        message: 21,
        result: Some(22),
    },
    Method {
        name: "logging/setLevel",
        notification: false,
        message: 75,
        result: Some(16),
    },
    Method {
        name: "notifications/cancelled",
        notification: true,
        message: 5,
        result: None,
    },
    Method {
        name: "notifications/initialized",
        notification: true,
        message: 23,
        result: None,
    },
    Method {
        name: "notifications/message",
        notification: true,
        message: 42,
        result: None,
    },
    Method {
        name: "notifications/progress",
        notification: true,
        message: 49,
        result: None,
    },
    Method {
        name: "notifications/prompts/list_changed",
        notification: true,
        message: 53,
        result: None,
    },
    Method {
        name: "notifications/resources/list_changed",
        notification: true,
        message: 62,
        result: None,
    },
    Method {
        name: "notifications/resources/updated",
        notification: true,
        message: 65,
        result: None,
    },
    Method {
        name: "notifications/roots/list_changed",
        notification: true,
        message: 69,
        result: None,
    },
    Method {
        name: "notifications/tools/list_changed",
        notification: true,
        message: 81,
        result: None,
    },
    Method {
        name: "ping",
        notification: false,
        message: 48,
        result: Some(16),
    },
    Method {
        name: "prompts/get",
        notification: false,
        message: 17,
        result: Some(18),
    },
    Method {
        name: "prompts/list",
        notification: false,
        message: 31,
        result: Some(32),
    },
    Method {
        name: "resources/list",
        notification: false,
        message: 35,
        result: Some(36),
    },
    Method {
        name: "resources/read",
        notification: false,
        message: 56,
        result: Some(57),
    },
    Method {
        name: "resources/subscribe",
        notification: false,
        message: 76,
        result: Some(16),
    },
    Method {
        name: "resources/templates/list",
        notification: false,
        message: 33,
        result: Some(34),
    },
    Method {
        name: "resources/unsubscribe",
        notification: false,
        message: 82,
        result: Some(16),
    },
    Method {
        name: "roots/list",
        notification: false,
        message: 37,
        result: Some(38),
    },
    Method {
        name: "sampling/createMessage",
        notification: false,
        message: 12,
        result: Some(13),
    },
    Method {
        name: "tools/call",
        notification: false,
        message: 3,
        result: Some(4),
    },
    Method {
        name: "tools/list",
        notification: false,
        message: 39,
        result: Some(40),
    },
];
