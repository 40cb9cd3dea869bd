//! The annotated function, parsed only as far as `#[observed]` needs: attributes, visibility and
//! signature are typed, the body stays opaque tokens (faster, and half-typed code still expands).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility, braced};

pub(crate) struct ObservedFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) defaultness: Option<Token![default]>,
    pub(crate) sig: Signature,
    pub(crate) inner_attrs: Vec<Attribute>,
    pub(crate) body: TokenStream,
    brace: syn::token::Brace,
}

impl Parse for ObservedFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let defaultness: Option<Token![default]> = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            let semi: Token![;] = input.parse()?;
            return Err(syn::Error::new_spanned(
                semi,
                "`#[observed]` needs a function body; put it on the implementation, not on the \
                 trait's declaration",
            ));
        }
        let content;
        let brace = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body: TokenStream = content.parse()?;
        Ok(Self {
            attrs,
            vis,
            defaultness,
            sig,
            inner_attrs,
            body,
            brace,
        })
    }
}

impl ObservedFn {
    /// The function exactly as written, for when expansion cannot go ahead.
    pub(crate) fn unchanged(&self) -> TokenStream {
        let (inner_attrs, body) = (&self.inner_attrs, &self.body);
        self.with_body(quote!(#(#inner_attrs)* #body))
    }

    /// The signature and attributes as written, around `body` in the function's own braces.
    pub(crate) fn with_body(&self, body: TokenStream) -> TokenStream {
        let Self {
            attrs,
            vis,
            defaultness,
            sig,
            brace,
            ..
        } = self;
        let mut tokens = quote!(#(#attrs)* #vis #defaultness #sig);
        brace.surround(&mut tokens, |inner| inner.extend(body));
        tokens
    }
}

impl ToTokens for ObservedFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.unchanged());
    }
}

/// The name of the item that is not a function, for the error message.
pub(crate) fn describe_non_function(item: &syn::Item) -> (&'static str, TokenStream) {
    use syn::Item;
    match item {
        Item::Struct(i) => ("a struct", i.struct_token.to_token_stream()),
        Item::Enum(i) => ("an enum", i.enum_token.to_token_stream()),
        Item::Union(i) => ("a union", i.union_token.to_token_stream()),
        Item::Trait(i) => ("a trait", i.trait_token.to_token_stream()),
        Item::Impl(i) => ("an impl block", i.impl_token.to_token_stream()),
        Item::Mod(i) => ("a module", i.mod_token.to_token_stream()),
        Item::Const(i) => ("a const", i.const_token.to_token_stream()),
        Item::Static(i) => ("a static", i.static_token.to_token_stream()),
        Item::Type(i) => ("a type alias", i.type_token.to_token_stream()),
        Item::Use(i) => ("a use declaration", i.use_token.to_token_stream()),
        other => ("this item", other.to_token_stream()),
    }
}
