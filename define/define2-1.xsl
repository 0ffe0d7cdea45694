<?xml version="1.0" encoding="UTF-8"?>
<!--
  cdisc-als Define-XML 2.1 stylesheet (XSLT 1.0), written for this project (Apache-2.0).
  Renders a define.xml as one readable HTML page: standards, documents, datasets, variables per
  dataset, value-level metadata, codelists, methods and comments. No scripts, no network.
  Browsers apply it through the <?xml-stylesheet?> instruction at the top of define.xml.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:odm="http://www.cdisc.org/ns/odm/v1.3"
    xmlns:def="http://www.cdisc.org/ns/def/v2.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    exclude-result-prefixes="odm def xlink">

  <xsl:output method="html" encoding="UTF-8" indent="yes"
      doctype-system="about:legacy-compat"/>

  <xsl:key name="item" match="odm:ItemDef" use="@OID"/>
  <xsl:key name="codelist" match="odm:CodeList" use="@OID"/>
  <xsl:key name="valuelist" match="def:ValueListDef" use="@OID"/>
  <xsl:key name="where" match="def:WhereClauseDef" use="@OID"/>
  <xsl:key name="method" match="odm:MethodDef" use="@OID"/>
  <xsl:key name="comment" match="def:CommentDef" use="@OID"/>
  <xsl:key name="leaf" match="def:leaf" use="@ID"/>

  <xsl:variable name="mdv" select="/odm:ODM/odm:Study/odm:MetaDataVersion"/>

  <xsl:template match="/">
    <html lang="en">
      <head>
        <title><xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:StudyName"/> - <xsl:value-of select="$mdv/@Name"/></title>
        <style>
          body{font-family:system-ui,Arial,sans-serif;margin:1.5em;color:#222;font-size:14px}
          h1{font-size:1.5em} h2{font-size:1.25em;margin-top:2em;border-bottom:2px solid #446}
          h3{font-size:1.1em;margin-top:1.5em}
          table{border-collapse:collapse;margin:.4em 0 1em 0}
          th,td{border:1px solid #aab;padding:3px 7px;text-align:left;vertical-align:top}
          th{background:#e8ebf5} .ext{font-style:italic;color:#844}
          nav ul{columns:3} a{color:#2a4fa0}
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="$mdv/@Name"/></h1>
        <p>
          Study <b><xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:StudyName"/></b>:
          <xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:StudyDescription"/>
          <br/>Protocol: <xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:ProtocolName"/>;
          created <xsl:value-of select="/odm:ODM/@CreationDateTime"/> by
          <xsl:value-of select="/odm:ODM/@SourceSystem"/><xsl:text> </xsl:text><xsl:value-of select="/odm:ODM/@SourceSystemVersion"/>;
          Define-XML <xsl:value-of select="$mdv/@def:DefineVersion"/>
        </p>
        <xsl:call-template name="standards"/>
        <xsl:call-template name="documents"/>
        <xsl:call-template name="datasets"/>
        <xsl:apply-templates select="$mdv/odm:ItemGroupDef" mode="variables"/>
        <xsl:if test="$mdv/def:ValueListDef">
          <h2 id="valuelevel">Value-level metadata</h2>
          <xsl:apply-templates select="$mdv/def:ValueListDef"/>
        </xsl:if>
        <xsl:if test="$mdv/odm:CodeList">
          <h2 id="codelists">Controlled terminology</h2>
          <xsl:apply-templates select="$mdv/odm:CodeList"/>
        </xsl:if>
        <xsl:if test="$mdv/odm:MethodDef">
          <h2 id="methods">Methods</h2>
          <table>
            <tr><th>Method</th><th>Type</th><th>Description</th></tr>
            <xsl:for-each select="$mdv/odm:MethodDef">
              <tr id="{@OID}"><td><xsl:value-of select="@Name"/></td><td><xsl:value-of select="@Type"/></td>
                <td><xsl:value-of select="odm:Description/odm:TranslatedText"/></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>
        <xsl:if test="$mdv/def:CommentDef">
          <h2 id="comments">Comments</h2>
          <table>
            <tr><th>Comment</th><th>Text</th></tr>
            <xsl:for-each select="$mdv/def:CommentDef">
              <tr id="{@OID}"><td><xsl:value-of select="@OID"/></td>
                <td><xsl:value-of select="odm:Description/odm:TranslatedText"/></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>
      </body>
    </html>
  </xsl:template>

  <xsl:template name="standards">
    <h2 id="standards">Standards</h2>
    <table>
      <tr><th>Name</th><th>Type</th><th>Publishing set</th><th>Version</th><th>Status</th></tr>
      <xsl:for-each select="$mdv/def:Standards/def:Standard">
        <tr><td><xsl:value-of select="@Name"/></td><td><xsl:value-of select="@Type"/></td>
          <td><xsl:value-of select="@PublishingSet"/></td><td><xsl:value-of select="@Version"/></td>
          <td><xsl:value-of select="@Status"/></td></tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template name="documents">
    <h2 id="documents">Documents</h2>
    <ul>
      <xsl:for-each select="$mdv/def:AnnotatedCRF/def:DocumentRef | $mdv/def:SupplementalDoc/def:DocumentRef">
        <xsl:variable name="leaf" select="key('leaf', @leafID)"/>
        <li><a href="{$leaf/@xlink:href}"><xsl:value-of select="$leaf/def:title"/></a></li>
      </xsl:for-each>
    </ul>
  </xsl:template>

  <xsl:template name="datasets">
    <h2 id="datasets">Datasets</h2>
    <table>
      <tr><th>Dataset</th><th>Description</th><th>Class</th><th>Structure</th><th>Purpose</th><th>Keys</th><th>Location</th></tr>
      <xsl:for-each select="$mdv/odm:ItemGroupDef">
        <tr>
          <td><a href="#{@OID}"><xsl:value-of select="@Name"/></a></td>
          <td><xsl:value-of select="odm:Description/odm:TranslatedText"/>
            <xsl:if test="@def:CommentOID"><br/><xsl:value-of select="key('comment', @def:CommentOID)/odm:Description/odm:TranslatedText"/></xsl:if></td>
          <td><xsl:value-of select="def:Class/@Name"/>
            <xsl:if test="def:Class/def:SubClass"> / <xsl:value-of select="def:Class/def:SubClass/@Name"/></xsl:if></td>
          <td><xsl:value-of select="@def:Structure"/></td>
          <td><xsl:value-of select="@Purpose"/></td>
          <td>
            <xsl:for-each select="odm:ItemRef[@KeySequence]">
              <xsl:sort select="@KeySequence" data-type="number"/>
              <xsl:value-of select="key('item', @ItemOID)/@Name"/>
              <xsl:if test="position() != last()">, </xsl:if>
            </xsl:for-each>
          </td>
          <td><a href="{def:leaf/@xlink:href}"><xsl:value-of select="def:leaf/def:title"/></a></td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template match="odm:ItemGroupDef" mode="variables">
    <h3 id="{@OID}"><xsl:value-of select="@Name"/> (<xsl:value-of select="odm:Description/odm:TranslatedText"/>)</h3>
    <table>
      <tr><th>Variable</th><th>Label</th><th>Key</th><th>Type</th><th>Length / digits</th><th>Format</th>
        <th>Controlled terms</th><th>Origin / source / method / comment</th></tr>
      <xsl:for-each select="odm:ItemRef">
        <xsl:sort select="@OrderNumber" data-type="number"/>
        <xsl:call-template name="item-row">
          <xsl:with-param name="item" select="key('item', @ItemOID)"/>
          <xsl:with-param name="ref" select="."/>
        </xsl:call-template>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template name="item-row">
    <xsl:param name="item"/>
    <xsl:param name="ref"/>
    <tr id="{$item/@OID}">
      <td>
        <xsl:value-of select="$item/@Name"/>
        <xsl:if test="$item/def:ValueListRef"> <a href="#{$item/def:ValueListRef/@ValueListOID}"> (values)</a></xsl:if>
      </td>
      <td><xsl:value-of select="$item/odm:Description/odm:TranslatedText"/></td>
      <td><xsl:value-of select="$ref/@KeySequence"/></td>
      <td><xsl:value-of select="$item/@DataType"/></td>
      <td><xsl:value-of select="$item/@Length"/>
        <xsl:if test="$item/@SignificantDigits"> / <xsl:value-of select="$item/@SignificantDigits"/></xsl:if></td>
      <td><xsl:value-of select="$item/@def:DisplayFormat"/></td>
      <td>
        <xsl:if test="$item/odm:CodeListRef">
          <a href="#{$item/odm:CodeListRef/@CodeListOID}"><xsl:value-of select="key('codelist', $item/odm:CodeListRef/@CodeListOID)/@Name"/></a>
        </xsl:if>
      </td>
      <td>
        <xsl:for-each select="$item/def:Origin">
          <xsl:value-of select="@Type"/>
          <xsl:if test="@Source"> (<xsl:value-of select="@Source"/>)</xsl:if>
          <xsl:if test="odm:Description"> : <xsl:value-of select="odm:Description/odm:TranslatedText"/></xsl:if>
          <xsl:for-each select="def:DocumentRef">
            <xsl:variable name="leaf" select="key('leaf', @leafID)"/>
            <xsl:for-each select="def:PDFPageRef">
              <xsl:text> </xsl:text>
              <a href="{$leaf/@xlink:href}">
                <xsl:value-of select="$leaf/def:title"/> p.
                <xsl:value-of select="@PageRefs"/>
                <xsl:if test="@FirstPage"><xsl:value-of select="@FirstPage"/>-<xsl:value-of select="@LastPage"/></xsl:if>
              </a>
            </xsl:for-each>
          </xsl:for-each>
        </xsl:for-each>
        <xsl:if test="$ref/@MethodOID">
          <br/><a href="#{$ref/@MethodOID}">Method</a>: <xsl:value-of select="key('method', $ref/@MethodOID)/odm:Description/odm:TranslatedText"/>
        </xsl:if>
        <xsl:if test="$item/@def:CommentOID">
          <br/>Comment: <xsl:value-of select="key('comment', $item/@def:CommentOID)/odm:Description/odm:TranslatedText"/>
        </xsl:if>
      </td>
    </tr>
  </xsl:template>

  <xsl:template match="def:ValueListDef">
    <h3 id="{@OID}">
      <xsl:value-of select="key('item', //odm:ItemDef[def:ValueListRef/@ValueListOID = current()/@OID]/@OID)/@Name"/>
      <xsl:text> </xsl:text>(<xsl:value-of select="@OID"/>)
    </h3>
    <table>
      <tr><th>Where</th><th>Variable</th><th>Label</th><th>Key</th><th>Type</th><th>Length / digits</th><th>Format</th>
        <th>Controlled terms</th><th>Origin / source / method / comment</th></tr>
      <xsl:for-each select="odm:ItemRef">
        <xsl:sort select="@OrderNumber" data-type="number"/>
        <xsl:variable name="wc" select="key('where', def:WhereClauseRef/@WhereClauseOID)"/>
        <tr>
          <td>
            <xsl:for-each select="$wc/odm:RangeCheck">
              <xsl:value-of select="key('item', @def:ItemOID)/@Name"/>
              <xsl:text> </xsl:text><xsl:value-of select="@Comparator"/><xsl:text> </xsl:text>
              <xsl:for-each select="odm:CheckValue">
                <xsl:value-of select="."/><xsl:if test="position() != last()">, </xsl:if>
              </xsl:for-each>
              <xsl:if test="position() != last()"> and </xsl:if>
            </xsl:for-each>
          </td>
          <xsl:variable name="item" select="key('item', @ItemOID)"/>
          <td><xsl:value-of select="$item/@Name"/></td>
          <td><xsl:value-of select="$item/odm:Description/odm:TranslatedText"/></td>
          <td/>
          <td><xsl:value-of select="$item/@DataType"/></td>
          <td><xsl:value-of select="$item/@Length"/>
            <xsl:if test="$item/@SignificantDigits"> / <xsl:value-of select="$item/@SignificantDigits"/></xsl:if></td>
          <td><xsl:value-of select="$item/@def:DisplayFormat"/></td>
          <td><xsl:if test="$item/odm:CodeListRef">
              <a href="#{$item/odm:CodeListRef/@CodeListOID}"><xsl:value-of select="key('codelist', $item/odm:CodeListRef/@CodeListOID)/@Name"/></a>
            </xsl:if></td>
          <td><xsl:value-of select="$item/def:Origin/@Type"/>
            <xsl:if test="$item/def:Origin/odm:Description"> : <xsl:value-of select="$item/def:Origin/odm:Description/odm:TranslatedText"/></xsl:if>
            <xsl:for-each select="$item/def:Origin/def:DocumentRef">
              <xsl:variable name="leaf" select="key('leaf', @leafID)"/>
              <xsl:for-each select="def:PDFPageRef">
                <xsl:text> </xsl:text>
                <a href="{$leaf/@xlink:href}"><xsl:value-of select="$leaf/def:title"/> p. <xsl:value-of select="@PageRefs"/>
                  <xsl:if test="@FirstPage"><xsl:value-of select="@FirstPage"/>-<xsl:value-of select="@LastPage"/></xsl:if></a>
              </xsl:for-each>
            </xsl:for-each>
            <xsl:if test="@MethodOID"><br/><a href="#{@MethodOID}">Method</a>: <xsl:value-of select="key('method', @MethodOID)/odm:Description/odm:TranslatedText"/></xsl:if></td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template match="odm:CodeList">
    <h3 id="{@OID}"><xsl:value-of select="@Name"/> (<xsl:value-of select="@OID"/>
      <xsl:if test="odm:Alias[@Context='nci:ExtCodeID']">, <xsl:value-of select="odm:Alias[@Context='nci:ExtCodeID']/@Name"/></xsl:if>)</h3>
    <xsl:choose>
      <xsl:when test="odm:ExternalCodeList">
        <p>External dictionary: <xsl:value-of select="odm:ExternalCodeList/@Dictionary"/>
          <xsl:text> </xsl:text><xsl:value-of select="odm:ExternalCodeList/@Version"/></p>
      </xsl:when>
      <xsl:otherwise>
        <table>
          <tr><th>Coded value</th><th>Decode</th><th>NCI code</th></tr>
          <xsl:for-each select="odm:CodeListItem | odm:EnumeratedItem">
            <xsl:sort select="@OrderNumber" data-type="number"/>
            <tr>
              <td>
                <xsl:if test="@def:ExtendedValue='Yes'"><xsl:attribute name="class">ext</xsl:attribute></xsl:if>
                <xsl:value-of select="@CodedValue"/>
                <xsl:if test="@def:ExtendedValue='Yes'"> (sponsor extension)</xsl:if>
              </td>
              <td><xsl:value-of select="odm:Decode/odm:TranslatedText"/></td>
              <td><xsl:value-of select="odm:Alias[@Context='nci:ExtCodeID']/@Name"/></td>
            </tr>
          </xsl:for-each>
        </table>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
