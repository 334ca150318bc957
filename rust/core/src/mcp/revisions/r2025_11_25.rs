//! MCP revision 2025-11-25, compiled from the official schema.json by
//! tools/gen_mcp_schema.py. Do not edit by hand.

#[allow(unused_imports)]
use crate::mcp::schema::{Additional, Lit, Method, Revision, Schema, ANY};
#[allow(unused_imports)]
use crate::mcp::schema::{T_ARR, T_BOOL, T_INT, T_NULL, T_NUM, T_OBJ, T_STR};

pub static REVISION: Revision = Revision {
    version: "2025-11-25",
    nodes: &NODES,
    defs: &DEFS,
    methods: &METHODS,
};

static NODES: [Schema; 591] = [
    Schema {
        name: "Annotations",
        types: T_OBJ,
        props: &[("audience", 145), ("lastModified", 146), ("priority", 147)],
        ..ANY
    },
    Schema {
        name: "AudioContent",
        types: T_OBJ,
        props: &[
            ("_meta", 148),
            ("annotations", 0),
            ("data", 149),
            ("mimeType", 150),
            ("type", 151),
        ],
        required_mask: 0x1c,
        ..ANY
    },
    Schema {
        name: "BaseMetadata",
        types: T_OBJ,
        props: &[("name", 152), ("title", 153)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "BlobResourceContents",
        types: T_OBJ,
        props: &[
            ("_meta", 154),
            ("blob", 155),
            ("mimeType", 156),
            ("uri", 157),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        name: "BooleanSchema",
        types: T_OBJ,
        props: &[
            ("default", 158),
            ("description", 159),
            ("title", 160),
            ("type", 161),
        ],
        required_mask: 0x8,
        ..ANY
    },
    Schema {
        name: "CallToolRequest",
        types: T_OBJ,
        props: &[("id", 96), ("jsonrpc", 162), ("method", 163), ("params", 6)],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "CallToolRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 164),
            ("arguments", 165),
            ("name", 166),
            ("task", 125),
        ],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "CallToolResult",
        types: T_OBJ,
        props: &[
            ("_meta", 167),
            ("content", 168),
            ("isError", 169),
            ("structuredContent", 170),
        ],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "CancelTaskRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 171),
            ("method", 172),
            ("params", 174),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "CancelTaskResult",
        all_of: &[107, 123],
        ..ANY
    },
    Schema {
        name: "CancelledNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 175), ("method", 176), ("params", 11)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "CancelledNotificationParams",
        types: T_OBJ,
        props: &[("_meta", 177), ("reason", 178), ("requestId", 96)],
        ..ANY
    },
    Schema {
        name: "ClientCapabilities",
        types: T_OBJ,
        props: &[
            ("elicitation", 181),
            ("experimental", 183),
            ("roots", 185),
            ("sampling", 188),
            ("tasks", 196),
        ],
        ..ANY
    },
    Schema {
        name: "ClientNotification",
        any_of: &[10, 49, 83, 127, 110],
        ..ANY
    },
    Schema {
        name: "ClientRequest",
        any_of: &[
            46, 81, 61, 59, 91, 121, 141, 57, 35, 67, 5, 40, 38, 8, 65, 117, 16,
        ],
        ..ANY
    },
    Schema {
        name: "ClientResult",
        any_of: &[107, 41, 39, 9, 66, 22, 64, 29],
        ..ANY
    },
    Schema {
        name: "CompleteRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 197),
            ("method", 198),
            ("params", 17),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "CompleteRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 199),
            ("argument", 202),
            ("context", 205),
            ("ref", 206),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        name: "CompleteResult",
        types: T_OBJ,
        props: &[("_meta", 207), ("completion", 212)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ContentBlock",
        any_of: &[129, 44, 1, 100, 31],
        ..ANY
    },
    Schema {
        name: "CreateMessageRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 213),
            ("method", 214),
            ("params", 21),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "CreateMessageRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 215),
            ("includeContext", 216),
            ("maxTokens", 217),
            ("messages", 218),
            ("metadata", 219),
            ("modelPreferences", 73),
            ("stopSequences", 221),
            ("systemPrompt", 222),
            ("task", 125),
            ("temperature", 223),
            ("toolChoice", 135),
            ("tools", 224),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "CreateMessageResult",
        types: T_OBJ,
        props: &[
            ("_meta", 225),
            ("content", 227),
            ("model", 228),
            ("role", 108),
            ("stopReason", 229),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "CreateTaskResult",
        types: T_OBJ,
        props: &[("_meta", 230), ("task", 123)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "Cursor",
        types: T_STR,
        ..ANY
    },
    Schema {
        name: "ElicitRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 231),
            ("method", 232),
            ("params", 27),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "ElicitRequestFormParams",
        types: T_OBJ,
        props: &[
            ("_meta", 233),
            ("message", 234),
            ("mode", 235),
            ("requestedSchema", 241),
            ("task", 125),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        name: "ElicitRequestParams",
        any_of: &[28, 26],
        ..ANY
    },
    Schema {
        name: "ElicitRequestURLParams",
        types: T_OBJ,
        props: &[
            ("_meta", 242),
            ("elicitationId", 243),
            ("message", 244),
            ("mode", 245),
            ("task", 125),
            ("url", 246),
        ],
        required_mask: 0x2e,
        ..ANY
    },
    Schema {
        name: "ElicitResult",
        types: T_OBJ,
        props: &[("_meta", 247), ("action", 248), ("content", 253)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ElicitationCompleteNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 254), ("method", 255), ("params", 257)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "EmbeddedResource",
        types: T_OBJ,
        props: &[
            ("_meta", 258),
            ("annotations", 0),
            ("resource", 259),
            ("type", 260),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "EmptyResult",
        reference: Some(107),
        ..ANY
    },
    Schema {
        name: "EnumSchema",
        any_of: &[144, 132, 143, 131, 56],
        ..ANY
    },
    Schema {
        name: "Error",
        types: T_OBJ,
        props: &[("code", 261), ("data", 262), ("message", 263)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "GetPromptRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 264),
            ("method", 265),
            ("params", 36),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "GetPromptRequestParams",
        types: T_OBJ,
        props: &[("_meta", 266), ("arguments", 268), ("name", 269)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "GetPromptResult",
        types: T_OBJ,
        props: &[("_meta", 270), ("description", 271), ("messages", 272)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "GetTaskPayloadRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 273),
            ("method", 274),
            ("params", 276),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "GetTaskPayloadResult",
        types: T_OBJ,
        props: &[("_meta", 277)],
        ..ANY
    },
    Schema {
        name: "GetTaskRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 278),
            ("method", 279),
            ("params", 281),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "GetTaskResult",
        all_of: &[107, 123],
        ..ANY
    },
    Schema {
        name: "Icon",
        types: T_OBJ,
        props: &[
            ("mimeType", 282),
            ("sizes", 284),
            ("src", 285),
            ("theme", 286),
        ],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "Icons",
        types: T_OBJ,
        props: &[("icons", 287)],
        ..ANY
    },
    Schema {
        name: "ImageContent",
        types: T_OBJ,
        props: &[
            ("_meta", 288),
            ("annotations", 0),
            ("data", 289),
            ("mimeType", 290),
            ("type", 291),
        ],
        required_mask: 0x1c,
        ..ANY
    },
    Schema {
        name: "Implementation",
        types: T_OBJ,
        props: &[
            ("description", 292),
            ("icons", 293),
            ("name", 294),
            ("title", 295),
            ("version", 296),
            ("websiteUrl", 297),
        ],
        required_mask: 0x14,
        ..ANY
    },
    Schema {
        name: "InitializeRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 298),
            ("method", 299),
            ("params", 47),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "InitializeRequestParams",
        types: T_OBJ,
        props: &[
            ("_meta", 300),
            ("capabilities", 12),
            ("clientInfo", 45),
            ("protocolVersion", 301),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "InitializeResult",
        types: T_OBJ,
        props: &[
            ("_meta", 302),
            ("capabilities", 113),
            ("instructions", 303),
            ("protocolVersion", 304),
            ("serverInfo", 45),
        ],
        required_mask: 0x1a,
        ..ANY
    },
    Schema {
        name: "InitializedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 305), ("method", 306), ("params", 76)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "JSONRPCErrorResponse",
        types: T_OBJ,
        props: &[("error", 34), ("id", 96), ("jsonrpc", 307)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "JSONRPCMessage",
        any_of: &[53, 52, 55, 50],
        ..ANY
    },
    Schema {
        name: "JSONRPCNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 308), ("method", 309), ("params", 310)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "JSONRPCRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 311),
            ("method", 312),
            ("params", 313),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCResponse",
        any_of: &[55, 50],
        ..ANY
    },
    Schema {
        name: "JSONRPCResultResponse",
        types: T_OBJ,
        props: &[("id", 96), ("jsonrpc", 314), ("result", 107)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "LegacyTitledEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 315),
            ("description", 316),
            ("enum", 318),
            ("enumNames", 320),
            ("title", 321),
            ("type", 322),
        ],
        required_mask: 0x24,
        ..ANY
    },
    Schema {
        name: "ListPromptsRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 323),
            ("method", 324),
            ("params", 79),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListPromptsResult",
        types: T_OBJ,
        props: &[("_meta", 325), ("nextCursor", 326), ("prompts", 327)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 328),
            ("method", 329),
            ("params", 79),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesResult",
        types: T_OBJ,
        props: &[
            ("_meta", 330),
            ("nextCursor", 331),
            ("resourceTemplates", 332),
        ],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourcesRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 333),
            ("method", 334),
            ("params", 79),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListResourcesResult",
        types: T_OBJ,
        props: &[("_meta", 335), ("nextCursor", 336), ("resources", 337)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListRootsRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 338),
            ("method", 339),
            ("params", 97),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListRootsResult",
        types: T_OBJ,
        props: &[("_meta", 340), ("roots", 341)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ListTasksRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 342),
            ("method", 343),
            ("params", 79),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListTasksResult",
        types: T_OBJ,
        props: &[("_meta", 344), ("nextCursor", 345), ("tasks", 346)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListToolsRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 347),
            ("method", 348),
            ("params", 79),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListToolsResult",
        types: T_OBJ,
        props: &[("_meta", 349), ("nextCursor", 350), ("tools", 351)],
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
        props: &[("jsonrpc", 352), ("method", 353), ("params", 71)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "LoggingMessageNotificationParams",
        types: T_OBJ,
        props: &[
            ("_meta", 354),
            ("data", 355),
            ("level", 69),
            ("logger", 356),
        ],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "ModelHint",
        types: T_OBJ,
        props: &[("name", 357)],
        ..ANY
    },
    Schema {
        name: "ModelPreferences",
        types: T_OBJ,
        props: &[
            ("costPriority", 358),
            ("hints", 359),
            ("intelligencePriority", 360),
            ("speedPriority", 361),
        ],
        ..ANY
    },
    Schema {
        name: "MultiSelectEnumSchema",
        any_of: &[143, 131],
        ..ANY
    },
    Schema {
        name: "Notification",
        types: T_OBJ,
        props: &[("method", 362), ("params", 363)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "NotificationParams",
        types: T_OBJ,
        props: &[("_meta", 364)],
        ..ANY
    },
    Schema {
        name: "NumberSchema",
        types: T_OBJ,
        props: &[
            ("default", 365),
            ("description", 366),
            ("maximum", 367),
            ("minimum", 368),
            ("title", 369),
            ("type", 370),
        ],
        required_mask: 0x20,
        ..ANY
    },
    Schema {
        name: "PaginatedRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 371),
            ("method", 372),
            ("params", 79),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "PaginatedRequestParams",
        types: T_OBJ,
        props: &[("_meta", 373), ("cursor", 374)],
        ..ANY
    },
    Schema {
        name: "PaginatedResult",
        types: T_OBJ,
        props: &[("_meta", 375), ("nextCursor", 376)],
        ..ANY
    },
    Schema {
        name: "PingRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 377),
            ("method", 378),
            ("params", 97),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "PrimitiveSchemaDefinition",
        any_of: &[120, 77, 4, 144, 132, 143, 131, 56],
        ..ANY
    },
    Schema {
        name: "ProgressNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 379), ("method", 380), ("params", 84)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ProgressNotificationParams",
        types: T_OBJ,
        props: &[
            ("_meta", 381),
            ("message", 382),
            ("progress", 383),
            ("progressToken", 85),
            ("total", 384),
        ],
        required_mask: 0xc,
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
        props: &[
            ("_meta", 385),
            ("arguments", 386),
            ("description", 387),
            ("icons", 388),
            ("name", 389),
            ("title", 390),
        ],
        required_mask: 0x10,
        ..ANY
    },
    Schema {
        name: "PromptArgument",
        types: T_OBJ,
        props: &[
            ("description", 391),
            ("name", 392),
            ("required", 393),
            ("title", 394),
        ],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "PromptListChangedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 395), ("method", 396), ("params", 76)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "PromptMessage",
        types: T_OBJ,
        props: &[("content", 19), ("role", 108)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "PromptReference",
        types: T_OBJ,
        props: &[("name", 397), ("title", 398), ("type", 399)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "ReadResourceRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 400),
            ("method", 401),
            ("params", 92),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "ReadResourceRequestParams",
        types: T_OBJ,
        props: &[("_meta", 402), ("uri", 403)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ReadResourceResult",
        types: T_OBJ,
        props: &[("_meta", 404), ("contents", 406)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "RelatedTaskMetadata",
        types: T_OBJ,
        props: &[("taskId", 407)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "Request",
        types: T_OBJ,
        props: &[("method", 408), ("params", 409)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "RequestId",
        types: T_STR | T_INT,
        ..ANY
    },
    Schema {
        name: "RequestParams",
        types: T_OBJ,
        props: &[("_meta", 410)],
        ..ANY
    },
    Schema {
        name: "Resource",
        types: T_OBJ,
        props: &[
            ("_meta", 411),
            ("annotations", 0),
            ("description", 412),
            ("icons", 413),
            ("mimeType", 414),
            ("name", 415),
            ("size", 416),
            ("title", 417),
            ("uri", 418),
        ],
        required_mask: 0x120,
        ..ANY
    },
    Schema {
        name: "ResourceContents",
        types: T_OBJ,
        props: &[("_meta", 419), ("mimeType", 420), ("uri", 421)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ResourceLink",
        types: T_OBJ,
        props: &[
            ("_meta", 422),
            ("annotations", 0),
            ("description", 423),
            ("icons", 424),
            ("mimeType", 425),
            ("name", 426),
            ("size", 427),
            ("title", 428),
            ("type", 429),
            ("uri", 430),
        ],
        required_mask: 0x320,
        ..ANY
    },
    Schema {
        name: "ResourceListChangedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 431), ("method", 432), ("params", 76)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceRequestParams",
        types: T_OBJ,
        props: &[("_meta", 433), ("uri", 434)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ResourceTemplate",
        types: T_OBJ,
        props: &[
            ("_meta", 435),
            ("annotations", 0),
            ("description", 436),
            ("icons", 437),
            ("mimeType", 438),
            ("name", 439),
            ("title", 440),
            ("uriTemplate", 441),
        ],
        required_mask: 0xa0,
        ..ANY
    },
    Schema {
        name: "ResourceTemplateReference",
        types: T_OBJ,
        props: &[("type", 442), ("uri", 443)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceUpdatedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 444), ("method", 445), ("params", 106)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ResourceUpdatedNotificationParams",
        types: T_OBJ,
        props: &[("_meta", 446), ("uri", 447)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "Result",
        types: T_OBJ,
        props: &[("_meta", 448)],
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
        props: &[("_meta", 449), ("name", 450), ("uri", 451)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "RootsListChangedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 452), ("method", 453), ("params", 76)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "SamplingMessage",
        types: T_OBJ,
        props: &[("_meta", 454), ("content", 456), ("role", 108)],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        name: "SamplingMessageContentBlock",
        any_of: &[129, 44, 1, 139, 138],
        ..ANY
    },
    Schema {
        name: "ServerCapabilities",
        types: T_OBJ,
        props: &[
            ("completions", 457),
            ("experimental", 459),
            ("logging", 460),
            ("prompts", 462),
            ("resources", 465),
            ("tasks", 471),
            ("tools", 473),
        ],
        ..ANY
    },
    Schema {
        name: "ServerNotification",
        any_of: &[10, 83, 101, 105, 88, 137, 127, 70, 30],
        ..ANY
    },
    Schema {
        name: "ServerRequest",
        any_of: &[81, 40, 38, 8, 65, 20, 63, 25],
        ..ANY
    },
    Schema {
        name: "ServerResult",
        any_of: &[107, 48, 62, 60, 93, 58, 37, 68, 7, 41, 39, 9, 66, 18],
        ..ANY
    },
    Schema {
        name: "SetLevelRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 474),
            ("method", 475),
            ("params", 118),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "SetLevelRequestParams",
        types: T_OBJ,
        props: &[("_meta", 476), ("level", 69)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "SingleSelectEnumSchema",
        any_of: &[144, 132],
        ..ANY
    },
    Schema {
        name: "StringSchema",
        types: T_OBJ,
        props: &[
            ("default", 477),
            ("description", 478),
            ("format", 479),
            ("maxLength", 480),
            ("minLength", 481),
            ("title", 482),
            ("type", 483),
        ],
        required_mask: 0x40,
        ..ANY
    },
    Schema {
        name: "SubscribeRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 484),
            ("method", 485),
            ("params", 122),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "SubscribeRequestParams",
        types: T_OBJ,
        props: &[("_meta", 486), ("uri", 487)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "Task",
        types: T_OBJ,
        props: &[
            ("createdAt", 488),
            ("lastUpdatedAt", 489),
            ("pollInterval", 490),
            ("status", 126),
            ("statusMessage", 491),
            ("taskId", 492),
            ("ttl", 493),
        ],
        required_mask: 0x6b,
        ..ANY
    },
    Schema {
        name: "TaskAugmentedRequestParams",
        types: T_OBJ,
        props: &[("_meta", 494), ("task", 125)],
        ..ANY
    },
    Schema {
        name: "TaskMetadata",
        types: T_OBJ,
        props: &[("ttl", 495)],
        ..ANY
    },
    Schema {
        name: "TaskStatus",
        types: T_STR,
        enumeration: &[
            Lit::Str("cancelled"),
            Lit::Str("completed"),
            Lit::Str("failed"),
            Lit::Str("input_required"),
            Lit::Str("working"),
        ],
        ..ANY
    },
    Schema {
        name: "TaskStatusNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 496), ("method", 497), ("params", 128)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "TaskStatusNotificationParams",
        all_of: &[76, 123],
        ..ANY
    },
    Schema {
        name: "TextContent",
        types: T_OBJ,
        props: &[
            ("_meta", 498),
            ("annotations", 0),
            ("text", 499),
            ("type", 500),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "TextResourceContents",
        types: T_OBJ,
        props: &[
            ("_meta", 501),
            ("mimeType", 502),
            ("text", 503),
            ("uri", 504),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "TitledMultiSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 506),
            ("description", 507),
            ("items", 512),
            ("maxItems", 513),
            ("minItems", 514),
            ("title", 515),
            ("type", 516),
        ],
        required_mask: 0x44,
        ..ANY
    },
    Schema {
        name: "TitledSingleSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 517),
            ("description", 518),
            ("oneOf", 522),
            ("title", 523),
            ("type", 524),
        ],
        required_mask: 0x14,
        ..ANY
    },
    Schema {
        name: "Tool",
        types: T_OBJ,
        props: &[
            ("_meta", 525),
            ("annotations", 134),
            ("description", 526),
            ("execution", 136),
            ("icons", 527),
            ("inputSchema", 534),
            ("name", 535),
            ("outputSchema", 542),
            ("title", 543),
        ],
        required_mask: 0x60,
        ..ANY
    },
    Schema {
        name: "ToolAnnotations",
        types: T_OBJ,
        props: &[
            ("destructiveHint", 544),
            ("idempotentHint", 545),
            ("openWorldHint", 546),
            ("readOnlyHint", 547),
            ("title", 548),
        ],
        ..ANY
    },
    Schema {
        name: "ToolChoice",
        types: T_OBJ,
        props: &[("mode", 549)],
        ..ANY
    },
    Schema {
        name: "ToolExecution",
        types: T_OBJ,
        props: &[("taskSupport", 550)],
        ..ANY
    },
    Schema {
        name: "ToolListChangedNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 551), ("method", 552), ("params", 76)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ToolResultContent",
        types: T_OBJ,
        props: &[
            ("_meta", 553),
            ("content", 554),
            ("isError", 555),
            ("structuredContent", 556),
            ("toolUseId", 557),
            ("type", 558),
        ],
        required_mask: 0x32,
        ..ANY
    },
    Schema {
        name: "ToolUseContent",
        types: T_OBJ,
        props: &[
            ("_meta", 559),
            ("id", 560),
            ("input", 561),
            ("name", 562),
            ("type", 563),
        ],
        required_mask: 0x1e,
        ..ANY
    },
    Schema {
        name: "URLElicitationRequiredError",
        types: T_OBJ,
        props: &[("error", 568), ("id", 96), ("jsonrpc", 569)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "UnsubscribeRequest",
        types: T_OBJ,
        props: &[
            ("id", 96),
            ("jsonrpc", 570),
            ("method", 571),
            ("params", 142),
        ],
        required_mask: 0xf,
        ..ANY
    },
    Schema {
        name: "UnsubscribeRequestParams",
        types: T_OBJ,
        props: &[("_meta", 572), ("uri", 573)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "UntitledMultiSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 575),
            ("description", 576),
            ("items", 580),
            ("maxItems", 581),
            ("minItems", 582),
            ("title", 583),
            ("type", 584),
        ],
        required_mask: 0x44,
        ..ANY
    },
    Schema {
        name: "UntitledSingleSelectEnumSchema",
        types: T_OBJ,
        props: &[
            ("default", 585),
            ("description", 586),
            ("enum", 588),
            ("title", 589),
            ("type", 590),
        ],
        required_mask: 0x14,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(108),
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
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("boolean")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/call")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(19),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tasks/cancel")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("taskId", 173)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/cancelled")),
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
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("form", 179), ("url", 180)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(182),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 184)],
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
        props: &[("context", 186), ("tools", 187)],
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
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("create", 191)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("createMessage", 193)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("elicitation", 192), ("sampling", 194)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cancel", 189), ("list", 190), ("requests", 195)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("completion/complete")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        props: &[("name", 200), ("value", 201)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(203),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 204)],
        ..ANY
    },
    Schema {
        any_of: &[90, 104],
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
        items: Some(210),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("hasMore", 208), ("total", 209), ("values", 211)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("sampling/createMessage")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        items: Some(111),
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
        items: Some(220),
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
        types: T_ARR,
        items: Some(133),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(112),
        ..ANY
    },
    Schema {
        any_of: &[129, 44, 1, 139, 138, 226],
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
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("elicitation/create")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("form")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(82),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(238),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("$schema", 236),
            ("properties", 237),
            ("required", 239),
            ("type", 240),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        konst: Some(Lit::Str("url")),
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
        types: T_STR,
        enumeration: &[Lit::Str("accept"), Lit::Str("cancel"), Lit::Str("decline")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(249),
        ..ANY
    },
    Schema {
        types: T_STR | T_BOOL | T_NUM,
        ..ANY
    },
    Schema {
        any_of: &[250, 251],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(252),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/elicitation/complete")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("elicitationId", 256)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[130, 3],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resource")),
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
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("prompts/get")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(267),
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
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(89),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tasks/result")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("taskId", 275)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tasks/get")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("taskId", 280)],
        required_mask: 0x1,
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
        items: Some(283),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("dark"), Lit::Str("light")],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
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
        konst: Some(Lit::Str("image")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
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
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("initialize")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/initialized")),
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
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
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
        types: T_ARR,
        items: Some(317),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(319),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
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
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(86),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/templates/list")),
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
        items: Some(103),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/list")),
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
        items: Some(98),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("roots/list")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(109),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tasks/list")),
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
        items: Some(123),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/list")),
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
        items: Some(133),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/message")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
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
        items: Some(72),
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
        ..ANY
    },
    Schema {
        types: T_NUM,
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
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("integer"), Lit::Str("number")],
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
        props: &[("progressToken", 85)],
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
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ping")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/progress")),
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
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(87),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
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
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/prompts/list_changed")),
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
        konst: Some(Lit::Str("ref/prompt")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/read")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        any_of: &[130, 3],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(405),
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
        props: &[("progressToken", 85)],
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
        items: Some(42),
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
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
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
        konst: Some(Lit::Str("resource_link")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(42),
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
        konst: Some(Lit::Str("ref/resource")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/updated")),
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
        konst: Some(Lit::Str("2.0")),
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
        types: T_ARR,
        items: Some(112),
        ..ANY
    },
    Schema {
        any_of: &[129, 44, 1, 139, 138, 455],
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
        additional: Additional::Schema(458),
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
        props: &[("listChanged", 461)],
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
        props: &[("listChanged", 463), ("subscribe", 464)],
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
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("call", 468)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("tools", 469)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cancel", 466), ("list", 467), ("requests", 470)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 472)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("logging/setLevel")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        enumeration: &[
            Lit::Str("date"),
            Lit::Str("date-time"),
            Lit::Str("email"),
            Lit::Str("uri"),
        ],
        ..ANY
    },
    Schema {
        types: T_INT,
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
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/subscribe")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        types: T_INT | T_NULL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/tasks/status")),
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
        konst: Some(Lit::Str("text")),
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
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(505),
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
        props: &[("const", 508), ("title", 509)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(510),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("anyOf", 511)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_INT,
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
        konst: Some(Lit::Str("array")),
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
        props: &[("const", 519), ("title", 520)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(521),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
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
        items: Some(42),
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
        additional: Additional::Schema(529),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(531),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("$schema", 528),
            ("properties", 530),
            ("required", 532),
            ("type", 533),
        ],
        required_mask: 0x8,
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
        additional: Additional::Schema(537),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(539),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("$schema", 536),
            ("properties", 538),
            ("required", 540),
            ("type", 541),
        ],
        required_mask: 0x8,
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
        enumeration: &[Lit::Str("auto"), Lit::Str("none"), Lit::Str("required")],
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[
            Lit::Str("forbidden"),
            Lit::Str("optional"),
            Lit::Str("required"),
        ],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
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
        types: T_ARR,
        items: Some(19),
        ..ANY
    },
    Schema {
        types: T_BOOL,
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
        konst: Some(Lit::Str("tool_result")),
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
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tool_use")),
        ..ANY
    },
    Schema {
        types: T_INT,
        konst: Some(Lit::Num(-32042.0)),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(28),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("elicitations", 565)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("code", 564), ("data", 566)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        all_of: &[34, 567],
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
        konst: Some(Lit::Str("resources/unsubscribe")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 85)],
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
        items: Some(574),
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
        items: Some(577),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("enum", 578), ("type", 579)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_INT,
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
        konst: Some(Lit::Str("array")),
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
        types: T_ARR,
        items: Some(587),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
];

/// Definition names, sorted for binary search.
static DEFS: [(&str, u16); 145] = [
    ("Annotations", 0),
    ("AudioContent", 1),
    ("BaseMetadata", 2),
    ("BlobResourceContents", 3),
    ("BooleanSchema", 4),
    ("CallToolRequest", 5),
    ("CallToolRequestParams", 6),
    ("CallToolResult", 7),
    ("CancelTaskRequest", 8),
    ("CancelTaskResult", 9),
    ("CancelledNotification", 10),
    ("CancelledNotificationParams", 11),
    ("ClientCapabilities", 12),
    ("ClientNotification", 13),
    ("ClientRequest", 14),
    ("ClientResult", 15),
    ("CompleteRequest", 16),
    ("CompleteRequestParams", 17),
    ("CompleteResult", 18),
    ("ContentBlock", 19),
    ("CreateMessageRequest", 20),
    ("CreateMessageRequestParams", 21),
    ("CreateMessageResult", 22),
    ("CreateTaskResult", 23),
    ("Cursor", 24),
    ("ElicitRequest", 25),
    ("ElicitRequestFormParams", 26),
    ("ElicitRequestParams", 27),
    ("ElicitRequestURLParams", 28),
    ("ElicitResult", 29),
    ("ElicitationCompleteNotification", 30),
    ("EmbeddedResource", 31),
    ("EmptyResult", 32),
    ("EnumSchema", 33),
    ("Error", 34),
    ("GetPromptRequest", 35),
    ("GetPromptRequestParams", 36),
    ("GetPromptResult", 37),
    ("GetTaskPayloadRequest", 38),
    ("GetTaskPayloadResult", 39),
    ("GetTaskRequest", 40),
    ("GetTaskResult", 41),
    ("Icon", 42),
    ("Icons", 43),
    ("ImageContent", 44),
    ("Implementation", 45),
    ("InitializeRequest", 46),
    ("InitializeRequestParams", 47),
    ("InitializeResult", 48),
    ("InitializedNotification", 49),
    ("JSONRPCErrorResponse", 50),
    ("JSONRPCMessage", 51),
    ("JSONRPCNotification", 52),
    ("JSONRPCRequest", 53),
    ("JSONRPCResponse", 54),
    ("JSONRPCResultResponse", 55),
    ("LegacyTitledEnumSchema", 56),
    ("ListPromptsRequest", 57),
    ("ListPromptsResult", 58),
    ("ListResourceTemplatesRequest", 59),
    ("ListResourceTemplatesResult", 60),
    ("ListResourcesRequest", 61),
    ("ListResourcesResult", 62),
    ("ListRootsRequest", 63),
    ("ListRootsResult", 64),
    ("ListTasksRequest", 65),
    ("ListTasksResult", 66),
    ("ListToolsRequest", 67),
    ("ListToolsResult", 68),
    ("LoggingLevel", 69),
    ("LoggingMessageNotification", 70),
    ("LoggingMessageNotificationParams", 71),
    ("ModelHint", 72),
    ("ModelPreferences", 73),
    ("MultiSelectEnumSchema", 74),
    ("Notification", 75),
    ("NotificationParams", 76),
    ("NumberSchema", 77),
    ("PaginatedRequest", 78),
    ("PaginatedRequestParams", 79),
    ("PaginatedResult", 80),
    ("PingRequest", 81),
    ("PrimitiveSchemaDefinition", 82),
    ("ProgressNotification", 83),
    ("ProgressNotificationParams", 84),
    ("ProgressToken", 85),
    ("Prompt", 86),
    ("PromptArgument", 87),
    ("PromptListChangedNotification", 88),
    ("PromptMessage", 89),
    ("PromptReference", 90),
    ("ReadResourceRequest", 91),
    ("ReadResourceRequestParams", 92),
    ("ReadResourceResult", 93),
    ("RelatedTaskMetadata", 94),
    ("Request", 95),
    ("RequestId", 96),
    ("RequestParams", 97),
    ("Resource", 98),
    ("ResourceContents", 99),
    ("ResourceLink", 100),
    ("ResourceListChangedNotification", 101),
    ("ResourceRequestParams", 102),
    ("ResourceTemplate", 103),
    ("ResourceTemplateReference", 104),
    ("ResourceUpdatedNotification", 105),
    ("ResourceUpdatedNotificationParams", 106),
    ("Result", 107),
    ("Role", 108),
    ("Root", 109),
    ("RootsListChangedNotification", 110),
    ("SamplingMessage", 111),
    ("SamplingMessageContentBlock", 112),
    ("ServerCapabilities", 113),
    ("ServerNotification", 114),
    ("ServerRequest", 115),
    ("ServerResult", 116),
    ("SetLevelRequest", 117),
    ("SetLevelRequestParams", 118),
    ("SingleSelectEnumSchema", 119),
    ("StringSchema", 120),
    ("SubscribeRequest", 121),
    ("SubscribeRequestParams", 122),
    ("Task", 123),
    ("TaskAugmentedRequestParams", 124),
    ("TaskMetadata", 125),
    ("TaskStatus", 126),
    ("TaskStatusNotification", 127),
    ("TaskStatusNotificationParams", 128),
    ("TextContent", 129),
    ("TextResourceContents", 130),
    ("TitledMultiSelectEnumSchema", 131),
    ("TitledSingleSelectEnumSchema", 132),
    ("Tool", 133),
    ("ToolAnnotations", 134),
    ("ToolChoice", 135),
    ("ToolExecution", 136),
    ("ToolListChangedNotification", 137),
    ("ToolResultContent", 138),
    ("ToolUseContent", 139),
    ("URLElicitationRequiredError", 140),
    ("UnsubscribeRequest", 141),
    ("UnsubscribeRequestParams", 142),
    ("UntitledMultiSelectEnumSchema", 143),
    ("UntitledSingleSelectEnumSchema", 144),
];

/// Methods, sorted by name for binary search.
static METHODS: [Method; 31] = [
    Method {
        name: "completion/complete",
        notification: false,
        message: 16,
        result: Some(18),
    },
    Method {
        name: "elicitation/create",
        notification: false,
        message: 25,
        result: Some(29),
    },
    Method {
        name: "initialize",
        notification: false,
        message: 46,
        result: Some(48),
    },
    Method {
        name: "logging/setLevel",
        notification: false,
        message: 117,
        result: Some(32),
    },
    Method {
        name: "notifications/cancelled",
        notification: true,
        message: 10,
        result: None,
    },
    Method {
        name: "notifications/elicitation/complete",
        notification: true,
        message: 30,
        result: None,
    },
    Method {
        name: "notifications/initialized",
        notification: true,
        message: 49,
        result: None,
    },
    Method {
        name: "notifications/message",
        notification: true,
        message: 70,
        result: None,
    },
    Method {
        name: "notifications/progress",
        notification: true,
        message: 83,
        result: None,
    },
    Method {
        name: "notifications/prompts/list_changed",
        notification: true,
        message: 88,
        result: None,
    },
    Method {
        name: "notifications/resources/list_changed",
        notification: true,
        message: 101,
        result: None,
    },
    Method {
        name: "notifications/resources/updated",
        notification: true,
        message: 105,
        result: None,
    },
    Method {
        name: "notifications/roots/list_changed",
        notification: true,
        message: 110,
        result: None,
    },
    Method {
        name: "notifications/tasks/status",
        notification: true,
        message: 127,
        result: None,
    },
    Method {
        name: "notifications/tools/list_changed",
        notification: true,
        message: 137,
        result: None,
    },
    Method {
        name: "ping",
        notification: false,
        message: 81,
        result: Some(32),
    },
    Method {
        name: "prompts/get",
        notification: false,
        message: 35,
        result: Some(37),
    },
    Method {
        name: "prompts/list",
        notification: false,
        message: 57,
        result: Some(58),
    },
    Method {
        name: "resources/list",
        notification: false,
        message: 61,
        result: Some(62),
    },
    Method {
        name: "resources/read",
        notification: false,
        message: 91,
        result: Some(93),
    },
    Method {
        name: "resources/subscribe",
        notification: false,
        message: 121,
        result: Some(32),
    },
    Method {
        name: "resources/templates/list",
        notification: false,
        message: 59,
        result: Some(60),
    },
    Method {
        name: "resources/unsubscribe",
        notification: false,
        message: 141,
        result: Some(32),
    },
    Method {
        name: "roots/list",
        notification: false,
        message: 63,
        result: Some(64),
    },
    Method {
        name: "sampling/createMessage",
        notification: false,
        message: 20,
        result: Some(22),
    },
    Method {
        name: "tasks/cancel",
        notification: false,
        message: 8,
        result: Some(9),
    },
    Method {
        name: "tasks/get",
        notification: false,
        message: 40,
        result: Some(41),
    },
    Method {
        name: "tasks/list",
        notification: false,
        message: 65,
        result: Some(66),
    },
    Method {
        name: "tasks/result",
        notification: false,
        message: 38,
        result: Some(39),
    },
    Method {
        name: "tools/call",
        notification: false,
        message: 5,
        result: Some(7),
    },
    Method {
        name: "tools/list",
        notification: false,
        message: 67,
        result: Some(68),
    },
];
