//! MCP revision 2024-11-05, compiled from the official schema.json by
//! tools/gen_mcp_schema.py. Do not edit by hand.

#[allow(unused_imports)]
use crate::mcp::schema::{Additional, Lit, Method, Revision, Schema, ANY};
#[allow(unused_imports)]
use crate::mcp::schema::{T_ARR, T_BOOL, T_INT, T_NULL, T_NUM, T_OBJ, T_STR};

pub static REVISION: Revision = Revision {
    version: "2024-11-05",
    nodes: &NODES,
    defs: &DEFS,
    methods: &METHODS,
};

static NODES: [Schema; 314] = [
    Schema {
        name: "Annotated",
        types: T_OBJ,
        props: &[("annotations", 81)],
        ..ANY
    },
    Schema {
        name: "BlobResourceContents",
        types: T_OBJ,
        props: &[("blob", 82), ("mimeType", 83), ("uri", 84)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "CallToolRequest",
        types: T_OBJ,
        props: &[("method", 85), ("params", 88)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CallToolResult",
        types: T_OBJ,
        props: &[("_meta", 89), ("content", 91), ("isError", 92)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "CancelledNotification",
        types: T_OBJ,
        props: &[("method", 93), ("params", 95)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ClientCapabilities",
        types: T_OBJ,
        props: &[("experimental", 97), ("roots", 99), ("sampling", 100)],
        ..ANY
    },
    Schema {
        name: "ClientNotification",
        any_of: &[4, 22, 46, 66],
        ..ANY
    },
    Schema {
        name: "ClientRequest",
        any_of: &[20, 45, 32, 30, 53, 73, 78, 28, 16, 36, 2, 72, 9],
        ..ANY
    },
    Schema {
        name: "ClientResult",
        any_of: &[63, 12, 35],
        ..ANY
    },
    Schema {
        name: "CompleteRequest",
        types: T_OBJ,
        props: &[("method", 101), ("params", 106)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CompleteResult",
        types: T_OBJ,
        props: &[("_meta", 107), ("completion", 112)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "CreateMessageRequest",
        types: T_OBJ,
        props: &[("method", 113), ("params", 122)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CreateMessageResult",
        types: T_OBJ,
        props: &[
            ("_meta", 123),
            ("content", 124),
            ("model", 125),
            ("role", 64),
            ("stopReason", 126),
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
        props: &[("annotations", 129), ("resource", 130), ("type", 131)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "EmptyResult",
        reference: Some(63),
        ..ANY
    },
    Schema {
        name: "GetPromptRequest",
        types: T_OBJ,
        props: &[("method", 132), ("params", 136)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "GetPromptResult",
        types: T_OBJ,
        props: &[("_meta", 137), ("description", 138), ("messages", 139)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ImageContent",
        types: T_OBJ,
        props: &[
            ("annotations", 142),
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
            ("capabilities", 68),
            ("instructions", 152),
            ("protocolVersion", 153),
            ("serverInfo", 19),
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
        name: "JSONRPCError",
        types: T_OBJ,
        props: &[("error", 160), ("id", 56), ("jsonrpc", 161)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCMessage",
        any_of: &[26, 25, 27, 23],
        ..ANY
    },
    Schema {
        name: "JSONRPCNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 162), ("method", 163), ("params", 165)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "JSONRPCRequest",
        types: T_OBJ,
        props: &[
            ("id", 56),
            ("jsonrpc", 166),
            ("method", 167),
            ("params", 169),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCResponse",
        types: T_OBJ,
        props: &[("id", 56), ("jsonrpc", 170), ("result", 63)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListPromptsRequest",
        types: T_OBJ,
        props: &[("method", 171), ("params", 173)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListPromptsResult",
        types: T_OBJ,
        props: &[("_meta", 174), ("nextCursor", 175), ("prompts", 176)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesRequest",
        types: T_OBJ,
        props: &[("method", 177), ("params", 179)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesResult",
        types: T_OBJ,
        props: &[
            ("_meta", 180),
            ("nextCursor", 181),
            ("resourceTemplates", 182),
        ],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourcesRequest",
        types: T_OBJ,
        props: &[("method", 183), ("params", 185)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListResourcesResult",
        types: T_OBJ,
        props: &[("_meta", 186), ("nextCursor", 187), ("resources", 188)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListRootsRequest",
        types: T_OBJ,
        props: &[("method", 189), ("params", 191)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListRootsResult",
        types: T_OBJ,
        props: &[("_meta", 192), ("roots", 193)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ListToolsRequest",
        types: T_OBJ,
        props: &[("method", 194), ("params", 196)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListToolsResult",
        types: T_OBJ,
        props: &[("_meta", 197), ("nextCursor", 198), ("tools", 199)],
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
        props: &[("method", 200), ("params", 203)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ModelHint",
        types: T_OBJ,
        props: &[("name", 204)],
        ..ANY
    },
    Schema {
        name: "ModelPreferences",
        types: T_OBJ,
        props: &[
            ("costPriority", 205),
            ("hints", 206),
            ("intelligencePriority", 207),
            ("speedPriority", 208),
        ],
        ..ANY
    },
    Schema {
        name: "Notification",
        types: T_OBJ,
        props: &[("method", 209), ("params", 211)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PaginatedRequest",
        types: T_OBJ,
        props: &[("method", 212), ("params", 214)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PaginatedResult",
        types: T_OBJ,
        props: &[("_meta", 215), ("nextCursor", 216)],
        ..ANY
    },
    Schema {
        name: "PingRequest",
        types: T_OBJ,
        props: &[("method", 217), ("params", 219)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ProgressNotification",
        types: T_OBJ,
        props: &[("method", 220), ("params", 223)],
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
        props: &[("arguments", 224), ("description", 225), ("name", 226)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "PromptArgument",
        types: T_OBJ,
        props: &[("description", 227), ("name", 228), ("required", 229)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "PromptListChangedNotification",
        types: T_OBJ,
        props: &[("method", 230), ("params", 232)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PromptMessage",
        types: T_OBJ,
        props: &[("content", 233), ("role", 64)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "PromptReference",
        types: T_OBJ,
        props: &[("name", 234), ("type", 235)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ReadResourceRequest",
        types: T_OBJ,
        props: &[("method", 236), ("params", 238)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ReadResourceResult",
        types: T_OBJ,
        props: &[("_meta", 239), ("contents", 241)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "Request",
        types: T_OBJ,
        props: &[("method", 242), ("params", 244)],
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
            ("annotations", 247),
            ("description", 248),
            ("mimeType", 249),
            ("name", 250),
            ("size", 251),
            ("uri", 252),
        ],
        required_mask: 0x28,
        ..ANY
    },
    Schema {
        name: "ResourceContents",
        types: T_OBJ,
        props: &[("mimeType", 253), ("uri", 254)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ResourceListChangedNotification",
        types: T_OBJ,
        props: &[("method", 255), ("params", 257)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ResourceReference",
        types: T_OBJ,
        props: &[("type", 258), ("uri", 259)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceTemplate",
        types: T_OBJ,
        props: &[
            ("annotations", 262),
            ("description", 263),
            ("mimeType", 264),
            ("name", 265),
            ("uriTemplate", 266),
        ],
        required_mask: 0x18,
        ..ANY
    },
    Schema {
        name: "ResourceUpdatedNotification",
        types: T_OBJ,
        props: &[("method", 267), ("params", 269)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "Result",
        types: T_OBJ,
        props: &[("_meta", 270)],
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
        props: &[("name", 271), ("uri", 272)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "RootsListChangedNotification",
        types: T_OBJ,
        props: &[("method", 273), ("params", 275)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "SamplingMessage",
        types: T_OBJ,
        props: &[("content", 276), ("role", 64)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ServerCapabilities",
        types: T_OBJ,
        props: &[
            ("experimental", 278),
            ("logging", 279),
            ("prompts", 281),
            ("resources", 284),
            ("tools", 286),
        ],
        ..ANY
    },
    Schema {
        name: "ServerNotification",
        any_of: &[4, 46, 59, 62, 50, 77, 39],
        ..ANY
    },
    Schema {
        name: "ServerRequest",
        any_of: &[45, 11, 34],
        ..ANY
    },
    Schema {
        name: "ServerResult",
        any_of: &[63, 21, 33, 31, 54, 29, 17, 37, 3, 10],
        ..ANY
    },
    Schema {
        name: "SetLevelRequest",
        types: T_OBJ,
        props: &[("method", 287), ("params", 288)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "SubscribeRequest",
        types: T_OBJ,
        props: &[("method", 289), ("params", 291)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "TextContent",
        types: T_OBJ,
        props: &[("annotations", 294), ("text", 295), ("type", 296)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "TextResourceContents",
        types: T_OBJ,
        props: &[("mimeType", 297), ("text", 298), ("uri", 299)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "Tool",
        types: T_OBJ,
        props: &[("description", 300), ("inputSchema", 306), ("name", 307)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "ToolListChangedNotification",
        types: T_OBJ,
        props: &[("method", 308), ("params", 310)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "UnsubscribeRequest",
        types: T_OBJ,
        props: &[("method", 311), ("params", 313)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(64),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("audience", 79), ("priority", 80)],
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
        props: &[("arguments", 86), ("name", 87)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[74, 18, 14],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(90),
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
        props: &[("reason", 94), ("requestId", 56)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(96),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 98)],
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
        props: &[("name", 102), ("value", 103)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        any_of: &[52, 60],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("argument", 104), ("ref", 105)],
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
        items: Some(110),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("hasMore", 108), ("total", 109), ("values", 111)],
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
        items: Some(67),
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
        items: Some(118),
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
            ("includeContext", 114),
            ("maxTokens", 115),
            ("messages", 116),
            ("metadata", 117),
            ("modelPreferences", 41),
            ("stopSequences", 119),
            ("systemPrompt", 120),
            ("temperature", 121),
        ],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[74, 18],
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
        types: T_ARR,
        items: Some(64),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("audience", 127), ("priority", 128)],
        ..ANY
    },
    Schema {
        any_of: &[75, 1],
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
        additional: Additional::Schema(133),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 134), ("name", 135)],
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
        items: Some(51),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(64),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("audience", 140), ("priority", 141)],
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
            ("capabilities", 5),
            ("clientInfo", 19),
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
        props: &[("code", 157), ("data", 158), ("message", 159)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
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
        props: &[("_meta", 164)],
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
        props: &[("progressToken", 47)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 168)],
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
        props: &[("cursor", 172)],
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
        items: Some(48),
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
        items: Some(61),
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
        items: Some(57),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("roots/list")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 47)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 190)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(65),
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
        props: &[("cursor", 195)],
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
        items: Some(76),
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
        props: &[("data", 201), ("level", 38), ("logger", 202)],
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
        items: Some(40),
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
        props: &[("_meta", 210)],
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
        props: &[("cursor", 213)],
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
        props: &[("progressToken", 47)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 218)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/progress")),
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
        props: &[("progress", 221), ("progressToken", 47), ("total", 222)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(49),
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
        props: &[("_meta", 231)],
        ..ANY
    },
    Schema {
        any_of: &[74, 18, 14],
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
        props: &[("uri", 237)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[75, 1],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(240),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 47)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 243)],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(64),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("audience", 245), ("priority", 246)],
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
        props: &[("_meta", 256)],
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
        types: T_ARR,
        items: Some(64),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("audience", 260), ("priority", 261)],
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
        props: &[("uri", 268)],
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
        props: &[("_meta", 274)],
        ..ANY
    },
    Schema {
        any_of: &[74, 18],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(277),
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
        props: &[("listChanged", 280)],
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
        props: &[("listChanged", 282), ("subscribe", 283)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 285)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("logging/setLevel")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("level", 38)],
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
        props: &[("uri", 290)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(64),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("audience", 292), ("priority", 293)],
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
        additional: Additional::Schema(301),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(303),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("properties", 302), ("required", 304), ("type", 305)],
        required_mask: 0x4,
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
        props: &[("_meta", 309)],
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
        props: &[("uri", 312)],
        required_mask: 0x1,
        ..ANY
    },
];

/// Definition names, sorted for binary search.
static DEFS: [(&str, u16); 79] = [
    ("Annotated", 0),
    ("BlobResourceContents", 1),
    ("CallToolRequest", 2),
    ("CallToolResult", 3),
    ("CancelledNotification", 4),
    ("ClientCapabilities", 5),
    ("ClientNotification", 6),
    ("ClientRequest", 7),
    ("ClientResult", 8),
    ("CompleteRequest", 9),
    ("CompleteResult", 10),
    ("CreateMessageRequest", 11),
    ("CreateMessageResult", 12),
    ("Cursor", 13),
    ("EmbeddedResource", 14),
    ("EmptyResult", 15),
    ("GetPromptRequest", 16),
    ("GetPromptResult", 17),
    ("ImageContent", 18),
    ("Implementation", 19),
    ("InitializeRequest", 20),
    ("InitializeResult", 21),
    ("InitializedNotification", 22),
    ("JSONRPCError", 23),
    ("JSONRPCMessage", 24),
    ("JSONRPCNotification", 25),
    ("JSONRPCRequest", 26),
    ("JSONRPCResponse", 27),
    ("ListPromptsRequest", 28),
    ("ListPromptsResult", 29),
    ("ListResourceTemplatesRequest", 30),
    ("ListResourceTemplatesResult", 31),
    ("ListResourcesRequest", 32),
    ("ListResourcesResult", 33),
    ("ListRootsRequest", 34),
    ("ListRootsResult", 35),
    ("ListToolsRequest", 36),
    ("ListToolsResult", 37),
    ("LoggingLevel", 38),
    ("LoggingMessageNotification", 39),
    ("ModelHint", 40),
    ("ModelPreferences", 41),
    ("Notification", 42),
    ("PaginatedRequest", 43),
    ("PaginatedResult", 44),
    ("PingRequest", 45),
    ("ProgressNotification", 46),
    ("ProgressToken", 47),
    ("Prompt", 48),
    ("PromptArgument", 49),
    ("PromptListChangedNotification", 50),
    ("PromptMessage", 51),
    ("PromptReference", 52),
    ("ReadResourceRequest", 53),
    ("ReadResourceResult", 54),
    ("Request", 55),
    ("RequestId", 56),
    ("Resource", 57),
    ("ResourceContents", 58),
    ("ResourceListChangedNotification", 59),
    ("ResourceReference", 60),
    ("ResourceTemplate", 61),
    ("ResourceUpdatedNotification", 62),
    ("Result", 63),
    ("Role", 64),
    ("Root", 65),
    ("RootsListChangedNotification", 66),
    ("SamplingMessage", 67),
    ("ServerCapabilities", 68),
    ("ServerNotification", 69),
    ("ServerRequest", 70),
    ("ServerResult", 71),
    ("SetLevelRequest", 72),
    ("SubscribeRequest", 73),
    ("TextContent", 74),
    ("TextResourceContents", 75),
    ("Tool", 76),
    ("ToolListChangedNotification", 77),
    ("UnsubscribeRequest", 78),
];

/// Methods, sorted by name for binary search.
static METHODS: [Method; 24] = [
    Method {
        name: "completion/complete",
        notification: false,
        message: 9,
        result: Some(10),
    },
    Method {
        name: "initialize",
        notification: false,
        message: 20,
        result: Some(21),
    },
    Method {
        name: "logging/setLevel",
        notification: false,
        message: 72,
        result: Some(15),
    },
    Method {
        name: "notifications/cancelled",
        notification: true,
        message: 4,
        result: None,
    },
    Method {
        name: "notifications/initialized",
        notification: true,
        message: 22,
        result: None,
    },
    Method {
        name: "notifications/message",
        notification: true,
        message: 39,
        result: None,
    },
    Method {
        name: "notifications/progress",
        notification: true,
        message: 46,
        result: None,
    },
    Method {
        name: "notifications/prompts/list_changed",
        notification: true,
        message: 50,
        result: None,
    },
    Method {
        name: "notifications/resources/list_changed",
        notification: true,
        message: 59,
        result: None,
    },
    Method {
        name: "notifications/resources/updated",
        notification: true,
        message: 62,
        result: None,
    },
    Method {
        name: "notifications/roots/list_changed",
        notification: true,
        message: 66,
        result: None,
    },
    Method {
        name: "notifications/tools/list_changed",
        notification: true,
        message: 77,
        result: None,
    },
    Method {
        name: "ping",
        notification: false,
        message: 45,
        result: Some(15),
    },
    Method {
        name: "prompts/get",
        notification: false,
        message: 16,
        result: Some(17),
    },
    Method {
        name: "prompts/list",
        notification: false,
        message: 28,
        result: Some(29),
    },
    Method {
        name: "resources/list",
        notification: false,
        message: 32,
        result: Some(33),
    },
    Method {
        name: "resources/read",
        notification: false,
        message: 53,
        result: Some(54),
    },
    Method {
        name: "resources/subscribe",
        notification: false,
        message: 73,
        result: Some(15),
    },
    Method {
        name: "resources/templates/list",
        notification: false,
        message: 30,
        result: Some(31),
    },
    Method {
        name: "resources/unsubscribe",
        notification: false,
        message: 78,
        result: Some(15),
    },
    Method {
        name: "roots/list",
        notification: false,
        message: 34,
        result: Some(35),
    },
    Method {
        name: "sampling/createMessage",
        notification: false,
        message: 11,
        result: Some(12),
    },
    Method {
        name: "tools/call",
        notification: false,
        message: 2,
        result: Some(3),
    },
    Method {
        name: "tools/list",
        notification: false,
        message: 36,
        result: Some(37),
    },
];
